// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IPrimarySale
 * @notice Events, errors and entry points of the bureau's primary sale (B2C) of credits from its
 * reserve: a set price per credit in deposit tokens, a sale window, a quota per enterprise, and
 * a price factor by the enterprise's environmental grade (a policy the evaluation will feed).
 * A purchase is delivery versus payment: the deposit tokens go to the bureau's treasury and the
 * credits come out of the reserve in one transaction, both or neither.
 */
interface IPrimarySale {
    struct Sale {
        uint256 creditId;
        /// Deposit tokens (fen) per credit, before the grade factor.
        uint256 price;
        /// Most credits one enterprise may buy in this sale.
        uint256 quota;
        /// Credits left in this sale.
        uint256 remaining;
        uint64 opensAt;
        uint64 closesAt;
    }

    event SaleOpened(uint256 indexed saleId, uint256 indexed creditId, uint256 price, uint256 quota, uint256 total, uint64 opensAt, uint64 closesAt);
    event CreditsBought(uint256 indexed saleId, bytes32 indexed enterprise, address indexed buyer, uint256 amount, uint256 paid);
    event GradeSet(bytes32 indexed enterprise, uint8 grade);
    event GradeFactorSet(uint8 indexed grade, uint16 factorBps);

    error PrimarySaleNotOpen(uint256 saleId, uint64 opensAt, uint64 closesAt);
    error PrimarySaleNotEnterprise(address buyer);
    error PrimarySaleBlacklisted(bytes32 enterprise);
    error PrimarySaleQuotaExceeded(uint256 saleId, bytes32 enterprise, uint256 bought, uint256 wanted, uint256 quota);
    error PrimarySaleSoldOut(uint256 saleId, uint256 remaining, uint256 wanted);
    error PrimarySaleInvalid();

    function open(uint256 creditId, uint256 price, uint256 quota, uint256 total, uint64 opensAt, uint64 closesAt) external returns (uint256 saleId);
    function buy(uint256 saleId, uint256 amount) external;
    function setGrade(bytes32 enterprise, uint8 grade) external;
    function setGradeFactor(uint8 grade, uint16 factorBps) external;
    function priceOf(uint256 saleId, bytes32 enterprise, uint256 amount) external view returns (uint256);
    function saleOf(uint256 saleId) external view returns (Sale memory);
    function boughtBy(uint256 saleId, bytes32 enterprise) external view returns (uint256);
}
