/* global document, window */
// The pages' "checked against" panel (#trust): the ledger, chain and node the page reads and verifies against,
// on whose word, and a form to set one's own RPC URL and pin the ledger address and chain id (trust.js).
import { connectChain, el, halt, showError } from './common.js';
import { TrustRefusal, clearPins, describeTrust, readPins, savePins } from './trust.js';

/** Fills #trust: `line` on top, then the form with the user's settings (the server's as placeholders). */
function renderPanel(config, line, refused) {
  const panel = document.getElementById('trust');
  if (!panel) return;
  const pins = readPins();
  const input = (id, value, placeholder) => el('input', { id, value: value ?? '', placeholder, size: '46', spellcheck: 'false' });
  const problem = el('span', { class: 'error', id: 'trust-error' });
  const form = el(
    'form',
    { id: 'trust-form' },
    el('label', {}, '节点 RPC URL ', input('trust-rpc', pins.rpcUrl, config.rpcUrl)),
    el('label', {}, '固定账本 pinned EmissionLedger ', input('trust-ledger', pins.ledger, `${config.contract} (本服务器所给 this server's)`)),
    el('label', {}, '链 ID chain id ', input('trust-chain', pins.chainId, 'e.g. 31337')),
    el('button', { type: 'submit', id: 'trust-save' }, '保存 save'),
    el('button', { type: 'button', id: 'trust-clear' }, '清除 clear'),
    problem,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      savePins({
        rpcUrl: document.getElementById('trust-rpc').value,
        ledger: document.getElementById('trust-ledger').value,
        chainId: document.getElementById('trust-chain').value,
      });
      window.location.reload();
    } catch (error) {
      problem.textContent = error.message;
    }
  });
  form.querySelector('#trust-clear').addEventListener('click', () => {
    clearPins();
    window.location.reload();
  });
  panel.open = refused;
  panel.replaceChildren(
    el('summary', {}, el('span', { id: 'trust-line', 'data-testid': 'trust-line', class: refused ? 'bad' : '' }, line)),
    el(
      'p',
      { class: 'hint' },
      '不想只信本服务器？填入生态环境局公布的 EmissionLedger 地址和链 ID，以及您自己的节点：保存在本浏览器，' +
        '之后若服务器或证明指向另一账本，本页将拒绝。 · Not taking this server\'s word? Pin the EmissionLedger address and chain id ' +
        'the bureau published, and use your own node: kept in this browser; a server or proof naming another ledger is then refused.',
    ),
    form,
  );
}

/**
 * Connects to the chain (common.js connectChain) and shows in #trust what the page checks against. When the
 * chain cannot be used (a pin refuses the server's ledger or the node's chain, or the node does not answer),
 * shows why, marks the page `data-ready="refused"` and goes no further; the form stays usable.
 */
export async function connectTrustedChain(config) {
  try {
    const chain = await connectChain(config);
    renderPanel(config, describeTrust(chain.trust), false);
    return chain;
  } catch (error) {
    const refusal = error instanceof TrustRefusal;
    renderPanel(config, refusal ? error.message : `未连接 not connected: ${error.message}`, true);
    showError(error);
    document.body.dataset.ready = 'refused';
    return halt();
  }
}
