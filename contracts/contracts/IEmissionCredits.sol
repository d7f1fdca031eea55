// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IEmissionCredits
 * @notice Events, errors and entry points of the tradable emission credits (排污权): an
 * ERC-1155 token whose id is a credit type, one per (pollutant, region, vintage year).
 *
 * The bureau issues a cap into its reserve and allocates from it; credits move between
 * accounts only through the exchange contracts (`EXCHANGE_ROLE`: escrow, fills, transfers),
 * never by a holder's own `safeTransferFrom`; a holder may retire (surrender) its own.
 * Per credit type, at every moment:
 *   totalSupply(id) (all holders, escrow included) + retiredOf(id) + reserveOf(id) == capOf(id).
 */
interface IEmissionCredits {
    struct CreditType {
        bytes32 pollutant;
        bytes32 region;
        uint16 vintage;
        bool exists;
    }

    /// @notice The bureau issued `amount` of credit type `id` into its reserve; the cap is now `capAfter`.
    event CreditsIssued(uint256 indexed id, bytes32 indexed pollutant, bytes32 indexed region, uint16 vintage, uint256 amount, uint256 capAfter);

    /// @notice The bureau allocated `amount` of `id` from its reserve to `to`.
    event CreditsAllocated(uint256 indexed id, address indexed to, uint256 amount);

    /// @notice `amount` of `id` held by `from` were retired (surrendered): out of circulation for good.
    event CreditsRetired(uint256 indexed id, address indexed from, uint256 amount, address by);

    /// @dev A move between two accounts not made by an exchange contract.
    error EmissionCreditsTransferOutsideExchange(address operator);

    /// @dev The reserve of `id` holds `reserve`, less than the `wanted` amount.
    error EmissionCreditsReserveTooLow(uint256 id, uint256 reserve, uint256 wanted);

    /// @dev A credit type needs a pollutant, a region, a vintage year and a non-zero amount.
    error EmissionCreditsInvalidType(bytes32 pollutant, bytes32 region, uint16 vintage);

    /// @dev `id` was never issued.
    error EmissionCreditsUnknownType(uint256 id);

    /// @dev Only the holder itself or an exchange contract may retire credits.
    error EmissionCreditsNotHolder(address caller, address holder);

    /// @notice The id of a credit type: keccak256(abi.encode(pollutant, region, vintage)).
    function creditId(bytes32 pollutant, bytes32 region, uint16 vintage) external pure returns (uint256);

    /// @notice Issues `amount` of the credit type into the bureau's reserve (`BUREAU_ROLE`); returns its id.
    function issue(bytes32 pollutant, bytes32 region, uint16 vintage, uint256 amount) external returns (uint256 id);

    /// @notice Allocates `amount` of `id` from the reserve to `to` (`BUREAU_ROLE`).
    function allocate(uint256 id, address to, uint256 amount) external;

    /// @notice Retires `amount` of `id` held by `from` (the holder itself, or an exchange contract).
    function retire(address from, uint256 id, uint256 amount) external;

    function creditType(uint256 id) external view returns (CreditType memory);
    function capOf(uint256 id) external view returns (uint256);
    function reserveOf(uint256 id) external view returns (uint256);
    function retiredOf(uint256 id) external view returns (uint256);
}
