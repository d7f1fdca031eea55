// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title INegotiatedTransfer
 * @notice Events, errors and entry points of negotiated transfers (协议转让): a seller offers
 * credits to one named buyer at a total price; the credits are escrowed at once. Paid by bank
 * transfer with evidence, the pitch's mode:
 *
 *   Offered --accept (buyer, before expiresAt)--> Accepted
 *   Offered --cancel (seller) | expire (anyone, after expiresAt)--> Closed (credits back to the seller)
 *   Accepted --recordPayment (buyer, before payBy: bank, amount, hash of the serial)--> Paid
 *   Accepted --reclaim (seller, after payBy, nothing paid)--> Closed (credits back)
 *   Paid --confirmReceipt (seller)--> Settled (credits to the buyer)
 *   Paid --dispute (seller: not received, before confirmBy; buyer: silence, after confirmBy)--> Disputed
 *   Disputed --arbitrate (arbitrator, once)--> Settled (credits to the buyer) | Closed (back to the seller)
 *
 * Deadlines are block times in seconds. Blacklisted enterprises can neither offer nor accept.
 */
interface INegotiatedTransfer {
    enum State {
        None,
        Offered,
        Accepted,
        Paid,
        Disputed,
        Settled,
        Closed
    }

    struct Offer {
        address seller;
        address buyer;
        uint256 creditId;
        uint256 amount;
        /// Total price in the smallest unit of the currency (fen for CNY).
        uint256 price;
        uint64 expiresAt;
        /// Seconds the buyer has to pay once it accepted; then seconds the seller has to confirm.
        uint32 payWindow;
        uint32 confirmWindow;
        uint64 payBy;
        uint64 confirmBy;
        State state;
        /// The buyer's evidence: the bank (keccak256 of its name or code), the amount paid, keccak256 of the transfer's serial number.
        bytes32 bank;
        uint256 paid;
        bytes32 serialHash;
    }

    event TransferOffered(uint256 indexed offerId, address indexed seller, address indexed buyer, uint256 creditId, uint256 amount, uint256 price, uint64 expiresAt);
    event TransferAccepted(uint256 indexed offerId, uint64 payBy);
    event PaymentRecorded(uint256 indexed offerId, bytes32 bank, uint256 amount, bytes32 serialHash, uint64 confirmBy);
    event TransferSettled(uint256 indexed offerId, address indexed buyer, uint256 creditId, uint256 amount);
    event TransferClosed(uint256 indexed offerId, address indexed seller, uint256 creditId, uint256 amount, State from);
    event TransferDisputed(uint256 indexed offerId, address indexed by, bytes32 statementHash);
    /// @notice The arbitrator decided; `loser` is the side whose record carries it.
    event TransferArbitrated(uint256 indexed offerId, bool toBuyer, address indexed loser, bytes32 reasonHash, address arbitrator);

    error NegotiatedTransferWrongState(uint256 offerId, State state);
    error NegotiatedTransferNotParty(uint256 offerId, address caller);
    error NegotiatedTransferDeadline(uint256 offerId, uint64 deadline, uint64 now_);
    error NegotiatedTransferBlacklisted(address account);
    error NegotiatedTransferInvalid();
    error NegotiatedTransferSerialMismatch(uint256 offerId);

    function offer(address buyer, uint256 creditId, uint256 amount, uint256 price, uint64 expiresAt, uint32 payWindow, uint32 confirmWindow) external returns (uint256 offerId);
    function accept(uint256 offerId) external;
    function cancel(uint256 offerId) external;
    function expire(uint256 offerId) external;
    function recordPayment(uint256 offerId, bytes32 bank, uint256 amount, bytes32 serialHash) external;
    function reclaim(uint256 offerId) external;
    function confirmReceipt(uint256 offerId) external;
    function dispute(uint256 offerId, bytes32 statementHash) external;
    function arbitrate(uint256 offerId, bool toBuyer, bytes calldata serial, bytes32 reasonHash) external;
    function offerOf(uint256 offerId) external view returns (Offer memory);
}
