// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {ERC1155Supply} from "@openzeppelin/contracts/token/ERC1155/extensions/ERC1155Supply.sol";
import {GuardianPausable} from "./GuardianPausable.sol";
import {IEmissionCredits} from "./IEmissionCredits.sol";

/**
 * @title EmissionCredits
 * @notice Tradable emission credits as ERC-1155 (standard tooling reads `balanceOf(account, id)`
 * and the TransferSingle events): the bureau issues a cap into its reserve and allocates from it;
 * the exchange contracts (`EXCHANGE_ROLE`) move credits between accounts, escrow included, and
 * need no approval for it; a holder cannot move its credits by itself (trades go through the
 * exchange), but may retire them. The guardian (`GUARDIAN_ROLE`) may pause every movement.
 * 1 credit = 1 kg of the pollutant unless a deployment says otherwise.
 */
contract EmissionCredits is ERC1155Supply, GuardianPausable, IEmissionCredits {
    bytes32 public constant BUREAU_ROLE = keccak256("BUREAU_ROLE");
    bytes32 public constant EXCHANGE_ROLE = keccak256("EXCHANGE_ROLE");

    mapping(uint256 id => CreditType) private _types;
    mapping(uint256 id => uint256) private _cap;
    mapping(uint256 id => uint256) private _reserve;
    mapping(uint256 id => uint256) private _retired;

    /// @param bureau gets `BUREAU_ROLE`; `guardian` gets `GUARDIAN_ROLE`; the deployer becomes admin (it grants `EXCHANGE_ROLE`).
    constructor(address bureau, address guardian) ERC1155("") {
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(BUREAU_ROLE, bureau);
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    /// @inheritdoc IEmissionCredits
    function creditId(bytes32 pollutant, bytes32 region, uint16 vintage) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(pollutant, region, vintage)));
    }

    /// @inheritdoc IEmissionCredits
    function issue(bytes32 pollutant, bytes32 region, uint16 vintage, uint256 amount) external onlyRole(BUREAU_ROLE) whenNotPaused returns (uint256 id) {
        if (pollutant == bytes32(0) || region == bytes32(0) || vintage == 0 || amount == 0) revert EmissionCreditsInvalidType(pollutant, region, vintage);
        id = creditId(pollutant, region, vintage);
        if (!_types[id].exists) _types[id] = CreditType({pollutant: pollutant, region: region, vintage: vintage, exists: true});
        _cap[id] += amount;
        _reserve[id] += amount;
        emit CreditsIssued(id, pollutant, region, vintage, amount, _cap[id]);
    }

    /// @inheritdoc IEmissionCredits
    function allocate(uint256 id, address to, uint256 amount) external onlyRole(BUREAU_ROLE) {
        if (!_types[id].exists) revert EmissionCreditsUnknownType(id);
        uint256 reserve = _reserve[id];
        if (reserve < amount) revert EmissionCreditsReserveTooLow(id, reserve, amount);
        _reserve[id] = reserve - amount;
        _mint(to, id, amount, "");
        emit CreditsAllocated(id, to, amount);
    }

    /// @inheritdoc IEmissionCredits
    function retire(address from, uint256 id, uint256 amount) external {
        address caller = _msgSender();
        if (caller != from && !hasRole(EXCHANGE_ROLE, caller)) revert EmissionCreditsNotHolder(caller, from);
        _burn(from, id, amount);
        _retired[id] += amount;
        emit CreditsRetired(id, from, amount, caller);
    }


    /// @inheritdoc IEmissionCredits
    function creditType(uint256 id) external view returns (CreditType memory) {
        return _types[id];
    }

    /// @inheritdoc IEmissionCredits
    function capOf(uint256 id) external view returns (uint256) {
        return _cap[id];
    }

    /// @inheritdoc IEmissionCredits
    function reserveOf(uint256 id) external view returns (uint256) {
        return _reserve[id];
    }

    /// @inheritdoc IEmissionCredits
    function retiredOf(uint256 id) external view returns (uint256) {
        return _retired[id];
    }

    /// @notice An exchange contract is approved for every holder: it escrows and settles trades.
    function isApprovedForAll(address account, address operator) public view override returns (bool) {
        return hasRole(EXCHANGE_ROLE, operator) || super.isApprovedForAll(account, operator);
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    /// @dev Every movement waits while paused; a move between two accounts only by an exchange contract.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values) internal override whenNotPaused {
        if (from != address(0) && to != address(0) && !hasRole(EXCHANGE_ROLE, _msgSender())) revert EmissionCreditsTransferOutsideExchange(_msgSender());
        super._update(from, to, ids, values);
    }
}
