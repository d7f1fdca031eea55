import { FeeData, JsonRpcProvider } from 'ethers';
import type { TransactionRequest } from 'ethers';
import { z } from 'zod';
import { QingliuError } from '@qingliu/protocol';

/**
 * How transactions are priced:
 * - `auto`: as ethers decides from the node (EIP-1559 when the latest block has a base fee);
 * - `eip1559`: type-2 transactions (max fee = 2 x base fee + priority fee); refused at connect
 *   when the node reports no base fee;
 * - `legacy`: type-0 transactions at the node's `eth_gasPrice` (chains without EIP-1559);
 * - `zero`: type-0 transactions at gas price 0, for permissioned chains without fees
 *   (FISCO BCOS; Besu free-gas networks with `--min-gas-price=0` and a zero base fee).
 */
export const GAS_PRICE_MODES = ['auto', 'eip1559', 'legacy', 'zero'] as const;
export type GasPriceMode = (typeof GAS_PRICE_MODES)[number];

/** Defaults of a chain profile. */
export const CHAIN_PROFILE_DEFAULTS = {
  /** Let ethers pick the pricing from the node. */
  gasPrice: 'auto',
} as const satisfies { gasPrice: GasPriceMode };

/**
 * The chain the cloud settles on, checked when it connects: a node reporting another chain id
 * is refused (CONFIG_INVALID), so a misconfigured RPC URL can never charge enterprises on the
 * wrong chain.
 */
export const chainProfileSchema = z.strictObject({
  /** A name for logs and errors, e.g. `besu-qbft-prod`. */
  name: z.string().min(1).optional(),
  /** The chain id the node must report (`eth_chainId`): anvil 31337, or your network's. */
  chainId: z.number().int().positive(),
  gasPrice: z.enum(GAS_PRICE_MODES).default(CHAIN_PROFILE_DEFAULTS.gasPrice),
});

export type ChainProfile = z.input<typeof chainProfileSchema>;

/** Parses a chain profile; a bad field throws CONFIG_INVALID naming it. */
export function parseChainProfile(input: unknown): z.output<typeof chainProfileSchema> {
  const result = chainProfileSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new QingliuError('CONFIG_INVALID', `invalid chain profile: ${lines[0]}`, { details: lines.join('\n') });
  }
  return result.data;
}

const profileName = (profile: ChainProfile): string => profile.name ?? `chain ${profile.chainId}`;

/** Refuses a node whose chain id is not the profile's. */
export function checkChainId(profile: ChainProfile, reported: bigint, rpcUrl: string): void {
  if (reported !== BigInt(profile.chainId)) {
    throw new QingliuError(
      'CONFIG_INVALID',
      `the node at ${rpcUrl} is chain ${reported}, but the profile ${profileName(profile)} expects chain ${profile.chainId}`,
      { details: 'refusing to send anything: check the RPC URL and the chain profile' },
    );
  }
}

/**
 * A JsonRpcProvider whose fee data follow the gas price mode, so every transaction sent through
 * a signer on it (settlements, deployments, the bureau's calls) is priced the same way.
 */
export class ProfiledJsonRpcProvider extends JsonRpcProvider {
  readonly gasPriceMode: GasPriceMode;

  constructor(
    mode: GasPriceMode,
    ...args: ConstructorParameters<typeof JsonRpcProvider>
  ) {
    super(...args);
    this.gasPriceMode = mode;
  }

  /**
   * The node's estimate plus headroom (a fifth, at most 250k, plus 10k). An exact estimate can
   * fall short when the block that mines the transaction differs from the one estimated against:
   * writing `block.timestamp` into a slot that already holds it is cheaper within the same
   * second (seen as a delisting mined out of gas). Unused gas is not charged.
   */
  override async estimateGas(tx: TransactionRequest): Promise<bigint> {
    const estimate = await super.estimateGas(tx);
    const fifth = estimate / 5n;
    return estimate + (fifth < 250_000n ? fifth : 250_000n) + 10_000n;
  }

  override async getFeeData(): Promise<FeeData> {
    switch (this.gasPriceMode) {
      case 'zero':
        return new FeeData(0n, null, null);
      case 'legacy':
        return new FeeData(BigInt((await this.send('eth_gasPrice', [])) as string), null, null);
      case 'eip1559': {
        const fees = await super.getFeeData();
        if (fees.maxFeePerGas === null || fees.maxPriorityFeePerGas === null) {
          throw new QingliuError('CONFIG_INVALID', 'the chain reports no EIP-1559 base fee; set the gas price mode to legacy or zero');
        }
        return new FeeData(null, fees.maxFeePerGas, fees.maxPriorityFeePerGas);
      }
      default:
        return super.getFeeData();
    }
  }
}

/** At connect: an `eip1559` profile needs a node whose latest block has a base fee. */
export async function checkGasPriceMode(provider: ProfiledJsonRpcProvider, rpcUrl: string): Promise<void> {
  if (provider.gasPriceMode !== 'eip1559') return;
  const block = (await provider.send('eth_getBlockByNumber', ['latest', false])) as { baseFeePerGas?: string } | null;
  if (!block?.baseFeePerGas || BigInt(block.baseFeePerGas) === 0n) {
    throw new QingliuError('CONFIG_INVALID', `the chain at ${rpcUrl} has no EIP-1559 base fee; set the gas price mode to legacy or zero`);
  }
}
