import { isQingliuError } from '@qingliu/protocol';
import { parseDeploymentManifest } from './deployment-manifest.js';

const LEDGER = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

/** The error parseDeploymentManifest throws on `text`. */
function refusal(text: string): unknown {
  try {
    parseDeploymentManifest(text);
  } catch (error) {
    return error;
  }
  throw new Error('accepted');
}

describe('deployment manifest', () => {
  test('names the trusted EmissionLedger (checksummed) and its chain; other contracts may be listed', () => {
    const manifest = {
      chainId: '31337',
      contracts: {
        EmissionLedger: { address: LEDGER.toLowerCase(), blockNumber: 1, txHash: `0x${'ab'.repeat(32)}` },
        Blacklist: { address: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512' },
      },
    };
    expect(parseDeploymentManifest(JSON.stringify(manifest))).toEqual({ contract: LEDGER, chainId: 31337n });
    expect(parseDeploymentManifest(JSON.stringify({ ...manifest, chainId: 20200 })).chainId).toBe(20200n);
  });

  test('a manifest without a chain id or with a bad address is refused, naming the field', () => {
    const noChain = refusal(JSON.stringify({ contracts: { EmissionLedger: { address: LEDGER } } }));
    expect(isQingliuError(noChain, 'CONFIG_INVALID') && noChain.details).toContain('chainId');
    const badAddress = refusal(JSON.stringify({ chainId: 1, contracts: { EmissionLedger: { address: '0x1234' } } }));
    expect(isQingliuError(badAddress, 'CONFIG_INVALID') && badAddress.details).toContain('contracts.EmissionLedger.address');
    expect(isQingliuError(refusal('{"chainId": 1,'), 'CONFIG_INVALID')).toBe(true);
  });
});
