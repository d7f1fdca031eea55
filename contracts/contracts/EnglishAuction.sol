// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC1155Holder} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Holder.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IBlacklist} from "./IBlacklist.sol";
import {IEnterpriseRegistry} from "./IEnterpriseRegistry.sol";
import {EmissionCredits} from "./EmissionCredits.sol";
import {GuardianPausable} from "./GuardianPausable.sol";
import {IEnglishAuction} from "./IEnglishAuction.sol";

/**
 * @title EnglishAuction
 * @notice An enterprise's ascending auction of a lot of credits (IEnglishAuction). It holds
 * `EXCHANGE_ROLE` on EmissionCredits to escrow and deliver the lot. The seed's auction never
 * escrowed bids and never set its token; here every standing bid sits in this contract in deposit
 * tokens, and an outbid bidder is refunded in the same transaction.
 */
contract EnglishAuction is GuardianPausable, ERC1155Holder, ReentrancyGuard, IEnglishAuction {
    using SafeERC20 for IERC20;

    EmissionCredits public immutable credits;
    IERC20 public immutable deposit;
    IEnterpriseRegistry public immutable registry;
    IBlacklist public immutable blacklist;

    mapping(uint256 lotId => Lot) private _lots;
    uint256 private _nextId = 1;

    constructor(EmissionCredits credits_, IERC20 deposit_, IEnterpriseRegistry registry_, IBlacklist blacklist_, address guardian) {
        credits = credits_;
        deposit = deposit_;
        registry = registry_;
        blacklist = blacklist_;
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    /// @inheritdoc IEnglishAuction
    function list(uint256 creditId, uint256 amount, uint256 reservePrice, uint256 minIncrement, uint64 endsAt) external whenNotPaused nonReentrant returns (uint256 lotId) {
        address seller = _msgSender();
        if (amount == 0 || reservePrice == 0 || minIncrement == 0 || endsAt <= block.timestamp) revert EnglishAuctionInvalid();
        _refuseBlacklisted(seller);
        lotId = _nextId++;
        _lots[lotId] = Lot({seller: seller, creditId: creditId, amount: amount, reservePrice: reservePrice, minIncrement: minIncrement, endsAt: endsAt, highBidder: address(0), highBid: 0, settled: false});
        credits.safeTransferFrom(seller, address(this), creditId, amount, "");
        emit LotListed(lotId, seller, creditId, amount, reservePrice, minIncrement, endsAt);
    }

    /// @inheritdoc IEnglishAuction
    function bid(uint256 lotId, uint256 amount) external whenNotPaused nonReentrant {
        Lot storage lot = _lot(lotId);
        if (block.timestamp > lot.endsAt) revert EnglishAuctionEnded(lotId, lot.endsAt);
        address bidder = _msgSender();
        if (bidder == lot.seller) revert EnglishAuctionInvalid();
        _refuseBlacklisted(bidder);
        uint256 atLeast = lot.highBidder == address(0) ? lot.reservePrice : lot.highBid + lot.minIncrement;
        if (amount < atLeast) revert EnglishAuctionBidTooLow(lotId, amount, atLeast);
        address outbid = lot.highBidder;
        uint256 refund = lot.highBid;
        lot.highBidder = bidder;
        lot.highBid = amount;
        deposit.safeTransferFrom(bidder, address(this), amount);
        emit BidPlaced(lotId, bidder, amount);
        if (outbid != address(0)) {
            deposit.safeTransfer(outbid, refund);
            emit BidRefunded(lotId, outbid, refund);
        }
    }

    /// @inheritdoc IEnglishAuction
    function settle(uint256 lotId) external whenNotPaused nonReentrant {
        Lot storage lot = _lot(lotId);
        if (block.timestamp <= lot.endsAt) revert EnglishAuctionNotEnded(lotId, lot.endsAt);
        if (lot.settled) revert EnglishAuctionSettled(lotId);
        lot.settled = true;
        address winner = lot.highBidder == address(0) ? lot.seller : lot.highBidder;
        credits.safeTransferFrom(address(this), winner, lot.creditId, lot.amount, "");
        if (lot.highBidder != address(0)) deposit.safeTransfer(lot.seller, lot.highBid);
        emit LotSettled(lotId, winner, lot.highBid);
    }

    /// @inheritdoc IEnglishAuction
    function lotOf(uint256 lotId) external view returns (Lot memory) {
        return _lots[lotId];
    }

    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, ERC1155Holder) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    function _lot(uint256 lotId) private view returns (Lot storage lot) {
        lot = _lots[lotId];
        if (lot.seller == address(0)) revert EnglishAuctionUnknownLot(lotId);
    }

    function _refuseBlacklisted(address account) private view {
        bytes32 enterprise = registry.enterpriseOfAccount(account);
        if (enterprise != bytes32(0) && blacklist.isBlacklisted(enterprise)) revert EnglishAuctionBlacklisted(account);
    }
}
