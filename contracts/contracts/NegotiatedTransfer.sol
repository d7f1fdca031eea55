// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC1155Holder} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Holder.sol";
import {GuardianPausable} from "./GuardianPausable.sol";
import {IBlacklist} from "./IBlacklist.sol";
import {IEnterpriseRegistry} from "./IEnterpriseRegistry.sol";
import {EmissionCredits} from "./EmissionCredits.sol";
import {INegotiatedTransfer} from "./INegotiatedTransfer.sol";

/**
 * @title NegotiatedTransfer
 * @notice Negotiated transfers of credits to one named buyer, paid by bank transfer with
 * evidence, with arbitration (state machine in INegotiatedTransfer). The contract holds
 * `EXCHANGE_ROLE` on EmissionCredits: it escrows the offered credits and moves them once.
 * The seed's P2P purchase checked the bank serial before it was set and tested its deadline
 * backwards, so no purchase could succeed; here each deadline has its direction tested.
 */
contract NegotiatedTransfer is GuardianPausable, ERC1155Holder, INegotiatedTransfer {
    bytes32 public constant ARBITRATOR_ROLE = keccak256("ARBITRATOR_ROLE");

    EmissionCredits public immutable credits;
    IEnterpriseRegistry public immutable registry;
    IBlacklist public immutable blacklist;

    mapping(uint256 offerId => Offer) private _offers;
    uint256 private _nextId = 1;

    constructor(EmissionCredits credits_, IEnterpriseRegistry registry_, IBlacklist blacklist_, address arbitrator, address guardian) {
        credits = credits_;
        registry = registry_;
        blacklist = blacklist_;
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(ARBITRATOR_ROLE, arbitrator);
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    /// @inheritdoc INegotiatedTransfer
    function offer(address buyer, uint256 creditId, uint256 amount, uint256 price, uint64 expiresAt, uint32 payWindow, uint32 confirmWindow)
        external
        whenNotPaused
        returns (uint256 offerId)
    {
        address seller = _msgSender();
        if (buyer == address(0) || buyer == seller || amount == 0 || expiresAt <= block.timestamp || payWindow == 0 || confirmWindow == 0) revert NegotiatedTransferInvalid();
        _refuseBlacklisted(seller);
        _refuseBlacklisted(buyer);
        offerId = _nextId++;
        Offer storage o = _offers[offerId];
        o.seller = seller;
        o.buyer = buyer;
        o.creditId = creditId;
        o.amount = amount;
        o.price = price;
        o.expiresAt = expiresAt;
        o.payWindow = payWindow;
        o.confirmWindow = confirmWindow;
        o.state = State.Offered;
        credits.safeTransferFrom(seller, address(this), creditId, amount, "");
        emit TransferOffered(offerId, seller, buyer, creditId, amount, price, expiresAt);
    }

    /// @inheritdoc INegotiatedTransfer
    function accept(uint256 offerId) external whenNotPaused {
        Offer storage o = _inState(offerId, State.Offered);
        _onlyParty(offerId, o.buyer);
        _before(offerId, o.expiresAt);
        _refuseBlacklisted(o.buyer);
        o.payBy = _now() + o.payWindow;
        o.state = State.Accepted;
        emit TransferAccepted(offerId, o.payBy);
    }

    /// @inheritdoc INegotiatedTransfer
    function cancel(uint256 offerId) external whenNotPaused {
        Offer storage o = _inState(offerId, State.Offered);
        _onlyParty(offerId, o.seller);
        _close(offerId, o, State.Offered);
    }

    /// @inheritdoc INegotiatedTransfer
    function expire(uint256 offerId) external whenNotPaused {
        Offer storage o = _inState(offerId, State.Offered);
        _after(offerId, o.expiresAt);
        _close(offerId, o, State.Offered);
    }

    /// @inheritdoc INegotiatedTransfer
    function recordPayment(uint256 offerId, bytes32 bank, uint256 amount, bytes32 serialHash) external whenNotPaused {
        Offer storage o = _inState(offerId, State.Accepted);
        _onlyParty(offerId, o.buyer);
        _before(offerId, o.payBy);
        if (bank == bytes32(0) || serialHash == bytes32(0) || amount == 0) revert NegotiatedTransferInvalid();
        o.bank = bank;
        o.paid = amount;
        o.serialHash = serialHash;
        o.confirmBy = _now() + o.confirmWindow;
        o.state = State.Paid;
        emit PaymentRecorded(offerId, bank, amount, serialHash, o.confirmBy);
    }

    /// @inheritdoc INegotiatedTransfer
    function reclaim(uint256 offerId) external whenNotPaused {
        Offer storage o = _inState(offerId, State.Accepted);
        _onlyParty(offerId, o.seller);
        _after(offerId, o.payBy);
        _close(offerId, o, State.Accepted);
    }

    /// @inheritdoc INegotiatedTransfer
    function confirmReceipt(uint256 offerId) external whenNotPaused {
        Offer storage o = _inState(offerId, State.Paid);
        _onlyParty(offerId, o.seller);
        _settle(offerId, o);
    }

    /// @inheritdoc INegotiatedTransfer
    function dispute(uint256 offerId, bytes32 statementHash) external whenNotPaused {
        Offer storage o = _inState(offerId, State.Paid);
        address caller = _msgSender();
        if (caller == o.seller) {
            _before(offerId, o.confirmBy); // not received: said while it is still the seller's turn
        } else if (caller == o.buyer) {
            _after(offerId, o.confirmBy); // the seller stayed silent past its deadline
        } else {
            revert NegotiatedTransferNotParty(offerId, caller);
        }
        o.state = State.Disputed;
        emit TransferDisputed(offerId, caller, statementHash);
    }

    /// @inheritdoc INegotiatedTransfer
    function arbitrate(uint256 offerId, bool toBuyer, bytes calldata serial, bytes32 reasonHash) external onlyRole(ARBITRATOR_ROLE) whenNotPaused {
        Offer storage o = _inState(offerId, State.Disputed);
        // Credits go to the buyer only against the serial number that matches its recorded hash.
        if (toBuyer && keccak256(serial) != o.serialHash) revert NegotiatedTransferSerialMismatch(offerId);
        emit TransferArbitrated(offerId, toBuyer, toBuyer ? o.seller : o.buyer, reasonHash, _msgSender());
        if (toBuyer) _settle(offerId, o);
        else _close(offerId, o, State.Disputed);
    }


    /// @inheritdoc INegotiatedTransfer
    function offerOf(uint256 offerId) external view returns (Offer memory) {
        return _offers[offerId];
    }

    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, ERC1155Holder) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    function _settle(uint256 offerId, Offer storage o) private {
        o.state = State.Settled;
        credits.safeTransferFrom(address(this), o.buyer, o.creditId, o.amount, "");
        emit TransferSettled(offerId, o.buyer, o.creditId, o.amount);
    }

    function _close(uint256 offerId, Offer storage o, State from) private {
        o.state = State.Closed;
        credits.safeTransferFrom(address(this), o.seller, o.creditId, o.amount, "");
        emit TransferClosed(offerId, o.seller, o.creditId, o.amount, from);
    }

    function _inState(uint256 offerId, State state) private view returns (Offer storage o) {
        o = _offers[offerId];
        if (o.state != state) revert NegotiatedTransferWrongState(offerId, o.state);
    }

    function _onlyParty(uint256 offerId, address party) private view {
        if (_msgSender() != party) revert NegotiatedTransferNotParty(offerId, _msgSender());
    }

    /// @dev The deadline has not passed: now <= deadline.
    function _before(uint256 offerId, uint64 deadline) private view {
        if (_now() > deadline) revert NegotiatedTransferDeadline(offerId, deadline, _now());
    }

    /// @dev The deadline has passed: now > deadline.
    function _after(uint256 offerId, uint64 deadline) private view {
        if (_now() <= deadline) revert NegotiatedTransferDeadline(offerId, deadline, _now());
    }

    function _refuseBlacklisted(address account) private view {
        bytes32 enterprise = registry.enterpriseOfAccount(account);
        if (enterprise != bytes32(0) && blacklist.isBlacklisted(enterprise)) revert NegotiatedTransferBlacklisted(account);
    }

    function _now() private view returns (uint64) {
        return uint64(block.timestamp);
    }
}
