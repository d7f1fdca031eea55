// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC1155Holder} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Holder.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IBlacklist} from "./IBlacklist.sol";
import {IEnterpriseRegistry} from "./IEnterpriseRegistry.sol";
import {EmissionCredits} from "./EmissionCredits.sol";
import {GuardianPausable} from "./GuardianPausable.sol";
import {IOrderBook} from "./IOrderBook.sol";

/**
 * @title OrderBook
 * @notice The secondary market's limit-order book (IOrderBook). It holds `EXCHANGE_ROLE` on
 * EmissionCredits to escrow sell orders' credits and deliver fills. Each side of each book is a
 * linked list in priority order (buy: highest price first; sell: lowest first; then oldest).
 */
contract OrderBook is GuardianPausable, ERC1155Holder, ReentrancyGuard, IOrderBook {
    using SafeERC20 for IERC20;

    EmissionCredits public immutable credits;
    IERC20 public immutable deposit;
    IEnterpriseRegistry public immutable registry;
    IBlacklist public immutable blacklist;

    /// The new order while it matches.
    struct Taker {
        uint256 orderId;
        address trader;
        uint256 creditId;
        Side side;
        uint256 limit;
    }

    mapping(uint256 orderId => Order) private _orders;
    mapping(uint256 creditId => mapping(Side => uint256)) private _head;
    uint256 private _nextId = 1;

    constructor(EmissionCredits credits_, IERC20 deposit_, IEnterpriseRegistry registry_, IBlacklist blacklist_, address guardian) {
        credits = credits_;
        deposit = deposit_;
        registry = registry_;
        blacklist = blacklist_;
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    /// @inheritdoc IOrderBook
    function place(uint256 creditId, Side side, uint256 price, uint256 amount, uint64 expiresAt, uint256 maxFills) external whenNotPaused nonReentrant returns (uint256 orderId) {
        address trader = _msgSender();
        if (price == 0 || amount == 0 || expiresAt <= block.timestamp) revert OrderBookInvalid();
        bytes32 enterprise = registry.enterpriseOfAccount(trader);
        if (enterprise != bytes32(0) && blacklist.isBlacklisted(enterprise)) revert OrderBookBlacklisted(trader);
        orderId = _nextId++;
        if (side == Side.Sell) credits.safeTransferFrom(trader, address(this), creditId, amount, "");
        else deposit.safeTransferFrom(trader, address(this), price * amount);
        emit OrderPlaced(orderId, trader, creditId, side, price, amount, expiresAt);
        uint256 left = _match(Taker({orderId: orderId, trader: trader, creditId: creditId, side: side, limit: price}), amount, maxFills);
        _orders[orderId] = Order({trader: trader, creditId: creditId, side: side, price: price, remaining: left, expiresAt: expiresAt, next: 0, live: left > 0});
        if (left > 0) _insert(orderId);
        else emit OrderClosed(orderId, 0, 0, false);
    }

    /// @inheritdoc IOrderBook
    function cancel(uint256 orderId) external nonReentrant {
        Order storage o = _orders[orderId];
        if (!o.live) revert OrderBookNotLive(orderId);
        if (o.trader != _msgSender()) revert OrderBookNotOwner(orderId, _msgSender());
        _unlink(orderId);
        _close(orderId, false);
    }

    /// @inheritdoc IOrderBook
    function expire(uint256 orderId) external nonReentrant {
        Order storage o = _orders[orderId];
        if (!o.live) revert OrderBookNotLive(orderId);
        if (block.timestamp <= o.expiresAt) revert OrderBookNotExpired(orderId, o.expiresAt);
        _unlink(orderId);
        _close(orderId, true);
    }

    /// @inheritdoc IOrderBook
    function orderOf(uint256 orderId) external view returns (Order memory) {
        return _orders[orderId];
    }

    /// @inheritdoc IOrderBook
    function bestOf(uint256 creditId, Side side) external view returns (uint256) {
        return _head[creditId][side];
    }

    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, ERC1155Holder) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    /// @dev Fills the new order against the other side; returns what is left of it.
    function _match(Taker memory t, uint256 amount, uint256 maxFills) private returns (uint256) {
        Side other = t.side == Side.Buy ? Side.Sell : Side.Buy;
        uint256 prev = 0;
        uint256 cur = _head[t.creditId][other];
        uint256 used = 0;
        while (cur != 0 && amount > 0 && used < maxFills) {
            Order storage maker = _orders[cur];
            uint256 next = maker.next;
            if (t.side == Side.Buy ? maker.price > t.limit : maker.price < t.limit) break; // no better price beyond
            used++;
            if (maker.expiresAt < block.timestamp) {
                _unlinkAfter(t.creditId, other, prev, cur, next);
                _close(cur, true);
                cur = next;
                continue;
            }
            if (maker.trader == t.trader) {
                prev = cur; // self-trade prevention: skipped, it stays
                cur = next;
                continue;
            }
            uint256 qty = amount < maker.remaining ? amount : maker.remaining;
            _fill(cur, maker, t, qty);
            amount -= qty;
            maker.remaining -= qty;
            if (maker.remaining == 0) {
                _unlinkAfter(t.creditId, other, prev, cur, next);
                maker.live = false;
                emit OrderClosed(cur, 0, 0, false);
            } else {
                prev = cur;
            }
            cur = next;
        }
        return amount;
    }

    function _fill(uint256 makerId, Order storage maker, Taker memory t, uint256 qty) private {
        (address buyer, address seller) = t.side == Side.Buy ? (t.trader, maker.trader) : (maker.trader, t.trader);
        // Both legs are in escrow here: the seller's credits and the buyer's deposit tokens at its own limit.
        credits.safeTransferFrom(address(this), buyer, t.creditId, qty, "");
        deposit.safeTransfer(seller, maker.price * qty);
        // A buyer that took a cheaper resting sell gets the difference to its limit back.
        if (t.side == Side.Buy && t.limit > maker.price) deposit.safeTransfer(buyer, (t.limit - maker.price) * qty);
        emit OrderFilled(makerId, t.orderId, t.creditId, buyer, seller, maker.price, qty);
    }

    function _insert(uint256 orderId) private {
        Order storage o = _orders[orderId];
        uint256 prev = 0;
        uint256 cur = _head[o.creditId][o.side];
        while (cur != 0 && !_before(o, _orders[cur])) {
            prev = cur;
            cur = _orders[cur].next;
        }
        o.next = cur;
        if (prev == 0) _head[o.creditId][o.side] = orderId;
        else _orders[prev].next = orderId;
    }

    /// @dev Whether `a` (new) goes before `b` (resting): a strictly better price; at the same price the resting one keeps its place.
    function _before(Order storage a, Order storage b) private view returns (bool) {
        return a.side == Side.Buy ? a.price > b.price : a.price < b.price;
    }

    function _unlink(uint256 orderId) private {
        Order storage o = _orders[orderId];
        uint256 prev = 0;
        uint256 cur = _head[o.creditId][o.side];
        while (cur != orderId) {
            prev = cur;
            cur = _orders[cur].next;
        }
        _unlinkAfter(o.creditId, o.side, prev, orderId, o.next);
    }

    function _unlinkAfter(uint256 creditId, Side side, uint256 prev, uint256 orderId, uint256 next) private {
        if (prev == 0) _head[creditId][side] = next;
        else _orders[prev].next = next;
        _orders[orderId].next = 0;
    }

    /// @dev Refunds what an order still holds in escrow and takes it out of the book.
    function _close(uint256 orderId, bool expired) private {
        Order storage o = _orders[orderId];
        uint256 remaining = o.remaining;
        o.remaining = 0;
        o.live = false;
        if (o.side == Side.Sell) {
            credits.safeTransferFrom(address(this), o.trader, o.creditId, remaining, "");
            emit OrderClosed(orderId, remaining, 0, expired);
        } else {
            deposit.safeTransfer(o.trader, o.price * remaining);
            emit OrderClosed(orderId, 0, o.price * remaining, expired);
        }
    }
}
