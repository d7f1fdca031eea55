// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/**
 * @title LargestRemainder
 * @notice Splits an integer total among weights so that the shares sum to the total exactly
 * (Hamilton's method, "largest remainder"):
 *
 * 1. each share starts as `floor(total * weight_i / sum(weights))`;
 * 2. the units left over, `total - sum(floors)`, are fewer than the number of weights;
 *    one each goes to the weights with the largest remainders `total * weight_i mod sum(weights)`;
 * 3. equal remainders go in list order (the earlier entry first).
 *
 * Products are taken at full 512-bit precision (`Math.mulDiv`, `mulmod`), so no overflow
 * and no rounding happens before step 2. A zero weight gets zero.
 */
library LargestRemainder {
    /// @dev The weights sum to zero.
    error LargestRemainderZeroWeights();

    function split(uint256 total, uint256[] memory weights) internal pure returns (uint256[] memory shares) {
        uint256 n = weights.length;
        uint256 weightSum = 0;
        for (uint256 i = 0; i < n; ++i) weightSum += weights[i];
        if (weightSum == 0) revert LargestRemainderZeroWeights();

        shares = new uint256[](n);
        uint256[] memory remainders = new uint256[](n);
        uint256 given = 0;
        for (uint256 i = 0; i < n; ++i) {
            shares[i] = Math.mulDiv(total, weights[i], weightSum);
            remainders[i] = mulmod(total, weights[i], weightSum);
            given += shares[i];
        }

        // Fewer than n units are left, and more than that many remainders are non-zero,
        // so each round finds a non-zero remainder; zeroing it takes it out of the next rounds.
        for (uint256 left = total - given; left > 0; --left) {
            uint256 best = 0;
            for (uint256 i = 1; i < n; ++i) {
                if (remainders[i] > remainders[best]) best = i;
            }
            shares[best] += 1;
            remainders[best] = 0;
        }
    }
}
