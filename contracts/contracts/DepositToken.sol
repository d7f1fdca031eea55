// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title DepositToken
 * @notice A settlement bank's deposit token for delivery versus payment: 1 token = 1 fen of
 * deposits the bank holds (2 decimals shown as yuan). Only the bank (`BANK_ROLE`) mints, when a
 * customer pays in, and burns, when it pays out; everyone else only transfers.
 */
contract DepositToken is ERC20, AccessControl {
    bytes32 public constant BANK_ROLE = keccak256("BANK_ROLE");

    constructor(string memory name_, string memory symbol_, address bank) ERC20(name_, symbol_) {
        _grantRole(DEFAULT_ADMIN_ROLE, _msgSender());
        _grantRole(BANK_ROLE, bank);
    }

    /// @notice Credits `to` with deposits paid in at the bank.
    function mint(address to, uint256 amount) external onlyRole(BANK_ROLE) {
        _mint(to, amount);
    }

    /// @notice Takes deposits paid out by the bank off `from` (its own holding, with its allowance).
    function burn(address from, uint256 amount) external onlyRole(BANK_ROLE) {
        _spendAllowance(from, _msgSender(), amount);
        _burn(from, amount);
    }

    function decimals() public pure override returns (uint8) {
        return 2;
    }
}
