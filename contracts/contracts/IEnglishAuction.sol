// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IEnglishAuction
 * @notice Events, errors and entry points of an enterprise's ascending (English) auction of a
 * lot of credits, paid in a bank's deposit token. The lot is escrowed when listed; each bid's
 * deposit tokens are escrowed when it is placed and the outbid bidder is refunded at once; after
 * the end anyone may settle: the lot to the highest bidder and the payment to the seller, or,
 * with no bid, the lot back to the seller. A bid must reach the reserve price and beat the
 * standing bid by the minimum increment.
 */
interface IEnglishAuction {
    struct Lot {
        address seller;
        uint256 creditId;
        uint256 amount;
        uint256 reservePrice;
        uint256 minIncrement;
        uint64 endsAt;
        address highBidder;
        uint256 highBid;
        bool settled;
    }

    event LotListed(uint256 indexed lotId, address indexed seller, uint256 creditId, uint256 amount, uint256 reservePrice, uint256 minIncrement, uint64 endsAt);
    event BidPlaced(uint256 indexed lotId, address indexed bidder, uint256 amount);
    event BidRefunded(uint256 indexed lotId, address indexed bidder, uint256 amount);
    event LotSettled(uint256 indexed lotId, address indexed winner, uint256 price);

    error EnglishAuctionBidTooLow(uint256 lotId, uint256 bid, uint256 atLeast);
    error EnglishAuctionEnded(uint256 lotId, uint64 endsAt);
    error EnglishAuctionNotEnded(uint256 lotId, uint64 endsAt);
    error EnglishAuctionSettled(uint256 lotId);
    error EnglishAuctionUnknownLot(uint256 lotId);
    error EnglishAuctionBlacklisted(address account);
    error EnglishAuctionInvalid();

    function list(uint256 creditId, uint256 amount, uint256 reservePrice, uint256 minIncrement, uint64 endsAt) external returns (uint256 lotId);
    function bid(uint256 lotId, uint256 amount) external;
    function settle(uint256 lotId) external;
    function lotOf(uint256 lotId) external view returns (Lot memory);
}
