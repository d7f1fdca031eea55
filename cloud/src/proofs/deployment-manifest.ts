import { readFile } from 'node:fs/promises';
import { getAddress, isAddress } from 'ethers';
import { z } from 'zod';
import { QingliuError } from '@qingliu/protocol';

const addressSchema = z.string().refine(isAddress, 'expected a 20-byte hex address');
const deployedSchema = z.object({
  address: addressSchema,
  /** The block the contract was deployed in (where its events start). */
  blockNumber: z.number().int().nonnegative().optional(),
  /** The deploying transaction. */
  txHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte transaction hash').optional(),
});

/**
 * What the bureau publishes about its deployment (protocol/README.md, "Which ledger"):
 * the chain id and, per contract, its address and where it was deployed. Contracts
 * other than EmissionLedger may be listed; only EmissionLedger is needed to verify.
 */
export const deploymentManifestSchema = z.object({
  chainId: z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]*$/, 'expected a decimal chain id')]),
  contracts: z.looseObject({ EmissionLedger: deployedSchema }),
});

export type DeploymentManifest = z.infer<typeof deploymentManifestSchema>;

/** The ledger a verifier checks against: never taken from the proof. */
export interface TrustedLedger {
  /** EmissionLedger's address, checksummed. */
  contract: string;
  /** The chain it lives on; undefined when the verifier was not told. */
  chainId: bigint | undefined;
}

/** The trusted ledger named by a manifest's JSON text. Throws CONFIG_INVALID naming the bad field. */
export function parseDeploymentManifest(text: string): TrustedLedger {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new QingliuError('CONFIG_INVALID', 'the deployment manifest is not JSON', { cause: error });
  }
  const result = deploymentManifestSchema.safeParse(json);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new QingliuError('CONFIG_INVALID', 'the deployment manifest is invalid', { details: lines.join('; ') });
  }
  return { contract: getAddress(result.data.contracts.EmissionLedger.address), chainId: BigInt(result.data.chainId) };
}

/** Reads and parses a deployment manifest file (parseDeploymentManifest). */
export async function readDeploymentManifest(file: string): Promise<TrustedLedger> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new QingliuError('CONFIG_INVALID', `cannot read the deployment manifest ${file}`, { cause: error });
  }
  return parseDeploymentManifest(text);
}
