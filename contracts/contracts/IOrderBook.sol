// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IOrderBook
 * @notice Events, errors and entry points of the secondary market's limit-order book, one book
 * per credit type, paid in a bank's deposit token (delivery versus payment on every fill).
 *
 * - A sell order escrows its credits, a buy order its deposit tokens (price x amount), when placed.
 * - A new order first matches the best resting orders on the other side, in price-time priority,
 *   at the resting order's price, with partial fills; a buyer paying less than its limit gets
 *   the difference back at once. What is left rests in the book until filled, cancelled by its
 *   owner, or expired (then anyone may remove it and refund its owner).
 * - Self-trade prevention: an order never fills against its owner's own resting orders; they
 *   are skipped and stay in the book.
 * - At most `maxFills` resting orders are consumed per placement (expired ones removed on the way
 *   count too), so one placement's gas is bounded.
 */
interface IOrderBook {
    enum Side {
        Buy,
        Sell
    }

    struct Order {
        address trader;
        uint256 creditId;
        Side side;
        /// Deposit tokens (fen) per credit.
        uint256 price;
        uint256 remaining;
        uint64 expiresAt;
        /// The next order on the same side of the same book, in priority order (0: none).
        uint256 next;
        bool live;
    }

    event OrderPlaced(uint256 indexed orderId, address indexed trader, uint256 indexed creditId, Side side, uint256 price, uint256 amount, uint64 expiresAt);
    /// @notice `amount` credits traded at `price` per credit between the resting (maker) and the new (taker) order.
    event OrderFilled(uint256 indexed makerOrderId, uint256 indexed takerOrderId, uint256 indexed creditId, address buyer, address seller, uint256 price, uint256 amount);
    event OrderClosed(uint256 indexed orderId, uint256 refundedCredits, uint256 refundedDeposit, bool expired);

    error OrderBookInvalid();
    error OrderBookNotOwner(uint256 orderId, address caller);
    error OrderBookNotLive(uint256 orderId);
    error OrderBookNotExpired(uint256 orderId, uint64 expiresAt);
    error OrderBookBlacklisted(address account);

    function place(uint256 creditId, Side side, uint256 price, uint256 amount, uint64 expiresAt, uint256 maxFills) external returns (uint256 orderId);
    function cancel(uint256 orderId) external;
    function expire(uint256 orderId) external;
    function orderOf(uint256 orderId) external view returns (Order memory);
    /// @notice The best resting order on `side` of the book of `creditId` (0: none).
    function bestOf(uint256 creditId, Side side) external view returns (uint256 orderId);
}
