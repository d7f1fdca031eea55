// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {GuardianPausable} from "./GuardianPausable.sol";
import {IBlacklist} from "./IBlacklist.sol";
import {IEnterpriseRegistry} from "./IEnterpriseRegistry.sol";
import {EmissionCredits} from "./EmissionCredits.sol";
import {IPrimarySale} from "./IPrimarySale.sol";

/**
 * @title PrimarySale
 * @notice The bureau's primary sale (B2C) of credits from its reserve, paid in a settlement
 * bank's deposit token, delivery versus payment. It holds `BUREAU_ROLE` on EmissionCredits to
 * allocate what it sells; the bureau (`BUREAU_ROLE` here) opens sales and sets the grade policy.
 * Grade 0 is the default; a grade's factor is in basis points of the set price (10,000 = as set).
 */
contract PrimarySale is GuardianPausable, IPrimarySale {
    using SafeERC20 for IERC20;

    bytes32 public constant BUREAU_ROLE = keccak256("BUREAU_ROLE");
    uint16 public constant FULL_PRICE_BPS = 10_000;

    EmissionCredits public immutable credits;
    IERC20 public immutable deposit;
    IEnterpriseRegistry public immutable registry;
    IBlacklist public immutable blacklist;
    /// Where the bureau's sale proceeds go.
    address public immutable treasury;

    mapping(uint256 saleId => Sale) private _sales;
    mapping(uint256 saleId => mapping(bytes32 enterprise => uint256)) private _bought;
    mapping(bytes32 enterprise => uint8) private _grades;
    mapping(uint8 grade => uint16) private _factors;
    uint256 private _nextId = 1;

    constructor(EmissionCredits credits_, IERC20 deposit_, IEnterpriseRegistry registry_, IBlacklist blacklist_, address bureau, address treasury_, address guardian) {
        credits = credits_;
        deposit = deposit_;
        registry = registry_;
        blacklist = blacklist_;
        treasury = treasury_;
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(BUREAU_ROLE, bureau);
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    /// @inheritdoc IPrimarySale
    function open(uint256 creditId, uint256 price, uint256 quota, uint256 total, uint64 opensAt, uint64 closesAt) external onlyRole(BUREAU_ROLE) returns (uint256 saleId) {
        if (price == 0 || quota == 0 || total == 0 || closesAt <= opensAt || closesAt <= block.timestamp) revert PrimarySaleInvalid();
        if (credits.reserveOf(creditId) < total) revert PrimarySaleSoldOut(0, credits.reserveOf(creditId), total);
        saleId = _nextId++;
        _sales[saleId] = Sale({creditId: creditId, price: price, quota: quota, remaining: total, opensAt: opensAt, closesAt: closesAt});
        emit SaleOpened(saleId, creditId, price, quota, total, opensAt, closesAt);
    }

    /// @inheritdoc IPrimarySale
    function buy(uint256 saleId, uint256 amount) external whenNotPaused {
        Sale storage sale = _sales[saleId];
        if (block.timestamp < sale.opensAt || block.timestamp > sale.closesAt || sale.closesAt == 0) revert PrimarySaleNotOpen(saleId, sale.opensAt, sale.closesAt);
        address buyer = _msgSender();
        bytes32 enterprise = registry.enterpriseOfAccount(buyer);
        if (enterprise == bytes32(0)) revert PrimarySaleNotEnterprise(buyer);
        if (blacklist.isBlacklisted(enterprise)) revert PrimarySaleBlacklisted(enterprise);
        if (amount == 0) revert PrimarySaleInvalid();
        if (amount > sale.remaining) revert PrimarySaleSoldOut(saleId, sale.remaining, amount);
        uint256 bought = _bought[saleId][enterprise];
        if (bought + amount > sale.quota) revert PrimarySaleQuotaExceeded(saleId, enterprise, bought, amount, sale.quota);
        uint256 cost = priceOf(saleId, enterprise, amount);
        sale.remaining -= amount;
        _bought[saleId][enterprise] = bought + amount;
        // Delivery versus payment: a payment that fails reverts the delivery with it.
        deposit.safeTransferFrom(buyer, treasury, cost);
        credits.allocate(sale.creditId, buyer, amount);
        emit CreditsBought(saleId, enterprise, buyer, amount, cost);
    }

    /// @inheritdoc IPrimarySale
    function setGrade(bytes32 enterprise, uint8 grade) external onlyRole(BUREAU_ROLE) {
        _grades[enterprise] = grade;
        emit GradeSet(enterprise, grade);
    }

    /// @inheritdoc IPrimarySale
    function setGradeFactor(uint8 grade, uint16 factorBps) external onlyRole(BUREAU_ROLE) {
        if (factorBps == 0) revert PrimarySaleInvalid();
        _factors[grade] = factorBps;
        emit GradeFactorSet(grade, factorBps);
    }


    /// @inheritdoc IPrimarySale
    function priceOf(uint256 saleId, bytes32 enterprise, uint256 amount) public view returns (uint256) {
        uint16 factor = _factors[_grades[enterprise]];
        return (amount * _sales[saleId].price * (factor == 0 ? FULL_PRICE_BPS : factor)) / FULL_PRICE_BPS;
    }

    /// @inheritdoc IPrimarySale
    function saleOf(uint256 saleId) external view returns (Sale memory) {
        return _sales[saleId];
    }

    /// @inheritdoc IPrimarySale
    function boughtBy(uint256 saleId, bytes32 enterprise) external view returns (uint256) {
        return _bought[saleId][enterprise];
    }
}
