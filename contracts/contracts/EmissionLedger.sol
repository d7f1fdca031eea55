// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IEmissionLedger} from "./IEmissionLedger.sol";
import {LargestRemainder} from "./LargestRemainder.sol";

/**
 * @title EmissionLedger
 * @notice Holds each enterprise's discharge credits per pollutant and charges
 * settled monitoring batches against them, anchoring each batch's Merkle root.
 *
 * - The bureau (`BUREAU_ROLE`) issues permits (a regional cap split by historical
 *   emissions, or one permit), grants credits, sets the warning horizon and can pause settlement.
 * - The oracle (`ORACLE_ROLE`, the cloud ingester) settles batches, at most once per id.
 * - A balance may go negative: over-discharge is recorded as debt, never clamped.
 * - Each settlement updates a moving average of consumption over the last {RATE_WINDOW}
 *   settlements of that enterprise and pollutant, and warns ({TopUpWarning}) once per crossing:
 *   when projected depletion comes within the horizon, and when the balance falls to 20 %,
 *   10 % and 0 of what it was right after the last credit.
 *
 * Amounts are milligrams (1 credit = 1 kg = 1,000,000 mg). See {IEmissionLedger} for ids.
 *
 * Gas: anchoring is the hot path (one transaction per settlement period), so a batch costs one
 * new storage slot, its root (stored inverted, so the zero root of an empty batch still marks the
 * batch settled); its reading count and time are in {BatchSettled}. The oracle and the pause flag
 * are read from one slot ({_gate}), so the role and pause checks cost one cold read, not two.
 */
contract EmissionLedger is IEmissionLedger, AccessControl, Pausable {
    bytes32 public constant BUREAU_ROLE = keccak256("BUREAU_ROLE");
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");

    /// @notice Settlements per enterprise and pollutant that the consumption rate averages over.
    uint8 public constant RATE_WINDOW = 8;
    /**
     * @notice The most enterprises one {allocateCap} splits among: each permit writes ~6 new
     * storage slots (~130k gas), so 100 stay well under a 30M block gas limit. Split a larger
     * region into several caps (e.g. by district).
     */
    uint256 public constant MAX_CAP_ENTERPRISES = 100;
    /// @notice The warning horizon until the bureau sets another: 7 days.
    uint64 public constant DEFAULT_WARNING_HORIZON = 7 days;

    // Bits of Usage.warned: which warnings were emitted since the last credit (thresholds)
    // or since depletion was last projected outside the horizon.
    uint8 private constant _WARNED_HORIZON = 1;
    uint8 private constant _WARNED_20 = 2;
    uint8 private constant _WARNED_10 = 4;
    uint8 private constant _WARNED_DEPLETED = 8;

    /// @dev Cumulative milligrams consumed (allocation - balance) right after a settlement at `at`.
    struct Point {
        uint64 at;
        uint192 consumed;
    }

    struct Usage {
        uint128 base; // balance right after the last credit that left it positive: the threshold base
        uint8 head; // next ring slot to write
        uint8 count; // points held, up to RATE_WINDOW
        uint8 warned; // _WARNED_* bits
        Point[RATE_WINDOW] points;
    }

    struct Permit {
        uint256 milligrams;
        bytes32 region; // zero for a permit issued outside a cap split
        uint64 issuedAt;
    }

    struct Cap {
        uint256 milligrams;
        uint64 allocatedAt;
    }

    /**
     * @dev What every settlement reads, in one slot: an account holding ORACLE_ROLE (the last one
     * granted, while it holds it; zero when it was revoked), which passes the role check without
     * a second read, and Pausable's flag. Other holders of ORACLE_ROLE pass by AccessControl.
     * Invariant: `oracle == address(0) || hasRole(ORACLE_ROLE, oracle)`.
     */
    struct Gate {
        address oracle;
        bool paused;
        uint64 warningHorizon;
    }

    mapping(bytes32 enterprise => mapping(bytes32 pollutant => int256)) private _balances;
    mapping(bytes32 enterprise => mapping(bytes32 pollutant => uint256)) private _allocations;
    mapping(bytes32 enterprise => mapping(bytes32 pollutant => Usage)) private _usage;
    mapping(bytes32 enterprise => mapping(bytes32 pollutant => mapping(uint16 year => Permit))) private _permits;
    mapping(bytes32 region => mapping(bytes32 pollutant => mapping(uint16 year => Cap))) private _caps;
    /// @dev `~root`: non-zero once the batch is settled, whatever its root.
    mapping(uint64 batchId => bytes32 invertedRoot) private _anchors;
    Gate private _gate;

    /**
     * @notice The deployer becomes admin (grants and revokes roles).
     * @param bureau gets `BUREAU_ROLE` (permits, credits, warning horizon, pause)
     * @param oracle gets `ORACLE_ROLE` (settles batches)
     */
    constructor(address bureau, address oracle) {
        _gate.warningHorizon = DEFAULT_WARNING_HORIZON;
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(BUREAU_ROLE, bureau);
        _grantRole(ORACLE_ROLE, oracle);
    }

    /// @inheritdoc IEmissionLedger
    function allocate(bytes32 enterprise, bytes32 pollutant, uint256 milligrams) external onlyRole(BUREAU_ROLE) {
        _credit(enterprise, pollutant, milligrams);
    }

    /// @inheritdoc IEmissionLedger
    function issuePermit(
        bytes32 enterprise,
        bytes32 pollutant,
        uint16 year,
        uint256 milligrams
    ) external onlyRole(BUREAU_ROLE) {
        _checkYear(year);
        _issuePermit(enterprise, pollutant, year, bytes32(0), milligrams);
    }

    /// @inheritdoc IEmissionLedger
    function allocateCap(
        bytes32 region,
        bytes32 pollutant,
        uint16 year,
        uint256 cap,
        bytes32[] calldata enterprises,
        uint256[] calldata historicalMilligrams
    ) external onlyRole(BUREAU_ROLE) {
        uint256[] memory shares = _splitCap(region, pollutant, year, cap, enterprises.length, historicalMilligrams);
        _caps[region][pollutant][year] = Cap({milligrams: cap, allocatedAt: uint64(block.timestamp)});
        emit CapAllocated(region, pollutant, year, cap, enterprises.length);
        for (uint256 i = 0; i < shares.length; ++i) {
            _issuePermit(enterprises[i], pollutant, year, region, shares[i]);
        }
    }

    /// @inheritdoc IEmissionLedger
    function settle(
        uint64 batchId,
        bytes32 root,
        uint32 readingCount,
        bytes32[] calldata enterprises,
        bytes32[] calldata pollutants,
        uint256[] calldata milligrams
    ) external {
        _anchor(batchId, root, readingCount);
        uint256 count = enterprises.length;
        if (pollutants.length != count || milligrams.length != count) {
            revert EmissionLedgerLoadLengthMismatch(count, pollutants.length, milligrams.length);
        }
        for (uint256 i = 0; i < count; ++i) {
            _deduct(enterprises[i], pollutants[i], batchId, milligrams[i]);
        }
    }

    /// @inheritdoc IEmissionLedger
    function anchor(uint64 batchId, bytes32 root, uint32 readingCount) external {
        _anchor(batchId, root, readingCount);
    }

    /// @inheritdoc IEmissionLedger
    function setWarningHorizon(uint64 seconds_) external onlyRole(BUREAU_ROLE) {
        uint64 previous = _gate.warningHorizon;
        _gate.warningHorizon = seconds_;
        emit WarningHorizonChanged(previous, seconds_);
    }

    /// @notice Stops settlement until {unpause}; allocation stays open.
    function pause() external onlyRole(BUREAU_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(BUREAU_ROLE) {
        _unpause();
    }

    /// @notice Whether settlement is paused (the flag lives in {_gate}, beside the oracle).
    function paused() public view override returns (bool) {
        return _gate.paused;
    }

    /// @inheritdoc IEmissionLedger
    function balanceOf(bytes32 enterprise, bytes32 pollutant) external view returns (int256) {
        return _balances[enterprise][pollutant];
    }

    /// @inheritdoc IEmissionLedger
    function allocationOf(bytes32 enterprise, bytes32 pollutant) external view returns (uint256) {
        return _allocations[enterprise][pollutant];
    }

    /// @inheritdoc IEmissionLedger
    function permitOf(
        bytes32 enterprise,
        bytes32 pollutant,
        uint16 year
    ) external view returns (uint256 milligrams, bytes32 region, uint64 issuedAt) {
        Permit storage permit = _permits[enterprise][pollutant][year];
        return (permit.milligrams, permit.region, permit.issuedAt);
    }

    /// @inheritdoc IEmissionLedger
    function capOf(
        bytes32 region,
        bytes32 pollutant,
        uint16 year
    ) external view returns (uint256 milligrams, uint64 allocatedAt) {
        Cap storage cap = _caps[region][pollutant][year];
        return (cap.milligrams, cap.allocatedAt);
    }

    /// @inheritdoc IEmissionLedger
    function previewCapAllocation(
        uint256 cap,
        uint256[] calldata historicalMilligrams
    ) external pure returns (uint256[] memory shares) {
        return LargestRemainder.split(cap, historicalMilligrams);
    }

    /// @notice How far ahead (seconds) a projected depletion triggers a {TopUpWarning}.
    function warningHorizon() external view returns (uint64) {
        return _gate.warningHorizon;
    }

    /// @inheritdoc IEmissionLedger
    function consumptionOf(
        bytes32 enterprise,
        bytes32 pollutant
    ) external view returns (uint256 milligrams, uint256 seconds_, uint256 secondsToDepletion) {
        (milligrams, seconds_) = _window(_usage[enterprise][pollutant]);
        secondsToDepletion = _secondsToDepletion(_balances[enterprise][pollutant], milligrams, seconds_);
    }

    /// @inheritdoc IEmissionLedger
    function batchRoot(uint64 batchId) external view returns (bytes32 root, bool settled) {
        bytes32 inverted = _anchors[batchId];
        settled = inverted != bytes32(0);
        root = settled ? ~inverted : bytes32(0);
    }

    /// @inheritdoc IEmissionLedger
    function verifyReading(uint64 batchId, bytes32 leaf, bytes32[] calldata proof) external view returns (bool) {
        bytes32 inverted = _anchors[batchId];
        return inverted != bytes32(0) && MerkleProof.verifyCalldata(proof, ~inverted, leaf);
    }

    /// @dev Checks a cap allocation and returns the permits it makes.
    function _splitCap(
        bytes32 region,
        bytes32 pollutant,
        uint16 year,
        uint256 cap,
        uint256 count,
        uint256[] calldata historicalMilligrams
    ) private view returns (uint256[] memory) {
        _checkYear(year);
        if (historicalMilligrams.length != count) {
            revert EmissionLedgerAllocationLengthMismatch(count, historicalMilligrams.length);
        }
        if (count == 0 || count > MAX_CAP_ENTERPRISES) revert EmissionLedgerEnterpriseCount(count, MAX_CAP_ENTERPRISES);
        if (_caps[region][pollutant][year].allocatedAt != 0) revert EmissionLedgerCapAlreadyAllocated(region, pollutant, year);
        uint256 history = 0;
        for (uint256 i = 0; i < count; ++i) history += historicalMilligrams[i];
        if (history == 0) revert EmissionLedgerNoHistory(region, pollutant, year);
        return LargestRemainder.split(cap, historicalMilligrams);
    }

    /// @inheritdoc IEmissionLedger
    function verifyReadingValue(
        uint64 batchId,
        string calldata leafValue,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 inverted = _anchors[batchId];
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(leafValue))));
        return inverted != bytes32(0) && MerkleProof.verifyCalldata(proof, ~inverted, leaf);
    }

    /**
     * @dev The checks and the record every settlement makes: the caller holds ORACLE_ROLE, the
     * ledger is not paused, the batch id is new. Then the root is stored and {BatchSettled} emitted.
     */
    function _anchor(uint64 batchId, bytes32 root, uint32 readingCount) private {
        _checkSettler();
        if (_anchors[batchId] != bytes32(0)) revert EmissionLedgerBatchAlreadySettled(batchId);
        bytes32 inverted = ~root;
        if (inverted == bytes32(0)) revert EmissionLedgerUnanchorableRoot(batchId);
        _anchors[batchId] = inverted;
        emit BatchSettled(batchId, root, readingCount);
    }

    /**
     * @dev `onlyRole(ORACLE_ROLE) whenNotPaused`, in that order, from one storage read when the
     * caller is the oracle cached in {_gate}.
     */
    function _checkSettler() private view {
        Gate memory gate = _gate;
        if (gate.oracle != _msgSender()) _checkRole(ORACLE_ROLE);
        if (gate.paused) revert EnforcedPause();
    }

    /// @dev Pausable's {_pause}, with the flag kept in {_gate}.
    function _pause() internal override whenNotPaused {
        _gate.paused = true;
        emit Paused(_msgSender());
    }

    /// @dev Pausable's {_unpause}, with the flag kept in {_gate}.
    function _unpause() internal override whenPaused {
        _gate.paused = false;
        emit Unpaused(_msgSender());
    }

    /// @dev Caches the account last granted ORACLE_ROLE in {_gate}.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted && role == ORACLE_ROLE) _gate.oracle = account;
    }

    /// @dev Forgets the cached oracle when it loses ORACLE_ROLE (revoked or renounced).
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == ORACLE_ROLE && _gate.oracle == account) _gate.oracle = address(0);
    }

    function _issuePermit(bytes32 enterprise, bytes32 pollutant, uint16 year, bytes32 region, uint256 milligrams) private {
        Permit storage permit = _permits[enterprise][pollutant][year];
        if (permit.issuedAt != 0) revert EmissionLedgerPermitAlreadyIssued(enterprise, pollutant, year);
        _permits[enterprise][pollutant][year] = Permit({
            milligrams: milligrams,
            region: region,
            issuedAt: uint64(block.timestamp)
        });
        emit PermitIssued(enterprise, pollutant, year, region, milligrams);
        _credit(enterprise, pollutant, milligrams);
    }

    function _credit(bytes32 enterprise, bytes32 pollutant, uint256 milligrams) private {
        _allocations[enterprise][pollutant] += milligrams;
        int256 balanceAfter = _balances[enterprise][pollutant] + SafeCast.toInt256(milligrams);
        _balances[enterprise][pollutant] = balanceAfter;
        emit CreditsAllocated(enterprise, pollutant, milligrams, balanceAfter);
        if (balanceAfter > 0) {
            // A positive balance starts a new round of warnings, measured against it.
            Usage storage usage = _usage[enterprise][pollutant];
            usage.base = SafeCast.toUint128(uint256(balanceAfter));
            usage.warned = 0;
        }
    }

    function _deduct(bytes32 enterprise, bytes32 pollutant, uint64 batchId, uint256 milligrams) private {
        int256 balanceAfter = _balances[enterprise][pollutant] - SafeCast.toInt256(milligrams);
        _balances[enterprise][pollutant] = balanceAfter;
        emit LoadDeducted(enterprise, pollutant, batchId, milligrams, balanceAfter);
        if (balanceAfter < 0) emit OverDischarged(enterprise, pollutant, batchId, balanceAfter);
        _track(enterprise, pollutant, batchId, balanceAfter);
    }

    /// @dev Records the settlement in the rate window, then emits the warnings newly due.
    function _track(bytes32 enterprise, bytes32 pollutant, uint64 batchId, int256 balance) private {
        Usage storage usage = _usage[enterprise][pollutant];
        uint256 consumed = uint256(SafeCast.toInt256(_allocations[enterprise][pollutant]) - balance);
        uint8 head = usage.head;
        usage.points[head] = Point({at: uint64(block.timestamp), consumed: SafeCast.toUint192(consumed)});
        usage.head = (head + 1) % RATE_WINDOW;
        if (usage.count < RATE_WINDOW) usage.count += 1;

        (uint256 windowMilligrams, uint256 windowSeconds) = _window(usage);
        _warn(usage, enterprise, pollutant, batchId, balance, _secondsToDepletion(balance, windowMilligrams, windowSeconds));
    }

    /// @dev Emits each {TopUpWarning} newly due: once per crossing, as recorded in `usage.warned`.
    function _warn(
        Usage storage usage,
        bytes32 enterprise,
        bytes32 pollutant,
        uint64 batchId,
        int256 balance,
        uint256 secondsLeft
    ) private {
        uint8 before = usage.warned;
        uint8 warned = before;
        // Depletion itself is the Depleted threshold below; the horizon speaks while credits remain.
        if (balance > 0 && secondsLeft <= _gate.warningHorizon) {
            if (warned & _WARNED_HORIZON == 0) {
                warned |= _WARNED_HORIZON;
                emit TopUpWarning(enterprise, pollutant, batchId, TopUpReason.DepletionWithinHorizon, balance, secondsLeft);
            }
        } else if (balance > 0) {
            warned &= ~_WARNED_HORIZON; // back outside the horizon: warn again on the next approach
        }

        (uint8 level, TopUpReason reason) = _threshold(balance, usage.base);
        if (level & ~warned != 0) {
            warned |= level;
            emit TopUpWarning(enterprise, pollutant, batchId, reason, balance, secondsLeft);
        }
        if (warned != before) usage.warned = warned;
    }

    /**
     * @dev The deepest threshold `balance` is at, as warning bits (the shallower ones included:
     * only the deepest newly crossed threshold is emitted) and the reason to emit.
     */
    function _threshold(int256 balance, uint256 base) private pure returns (uint8 level, TopUpReason reason) {
        if (balance <= 0) return (_WARNED_DEPLETED | _WARNED_10 | _WARNED_20, TopUpReason.Depleted);
        if (uint256(balance) * 100 <= base * 10) return (_WARNED_10 | _WARNED_20, TopUpReason.Below10Percent);
        if (uint256(balance) * 100 <= base * 20) return (_WARNED_20, TopUpReason.Below20Percent);
        return (0, TopUpReason.Below20Percent);
    }

    /// @dev Milligrams consumed and seconds elapsed between the oldest and newest point of the window.
    function _window(Usage storage usage) private view returns (uint256 milligrams, uint256 seconds_) {
        uint8 count = usage.count;
        if (count < 2) return (0, 0);
        uint8 head = usage.head;
        Point storage newest = usage.points[(head + RATE_WINDOW - 1) % RATE_WINDOW];
        Point storage oldest = usage.points[count < RATE_WINDOW ? 0 : head];
        return (newest.consumed - oldest.consumed, newest.at - oldest.at);
    }

    /// @dev 0 when depleted; type(uint256).max when no rate is known (no consumption or no time elapsed).
    function _secondsToDepletion(int256 balance, uint256 milligrams, uint256 seconds_) private pure returns (uint256) {
        if (balance <= 0) return 0;
        if (milligrams == 0 || seconds_ == 0) return type(uint256).max;
        return (uint256(balance) * seconds_) / milligrams;
    }

    function _checkYear(uint16 year) private pure {
        if (year < 2000 || year > 2999) revert EmissionLedgerInvalidYear(year);
    }
}
