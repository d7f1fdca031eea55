#!/usr/bin/env node
/**
 * Compiles every .sol file under contracts/contracts with solcjs (the npm
 * `solc` package, offline) and writes artifacts/<Name>.json holding
 * { contractName, abi, bytecode } for each contract defined there.
 *
 * `@openzeppelin/...` imports are read from node_modules. The EVM version is
 * cancun unless QINGLIU_EVM_VERSION names another (see README, "Other EVM chains");
 * it is always set: solc 0.8.30 would otherwise target osaka.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const EVM_VERSIONS = ['london', 'paris', 'shanghai', 'cancun', 'prague'];
const EVM_VERSION = process.env.QINGLIU_EVM_VERSION || 'cancun';
if (!EVM_VERSIONS.includes(EVM_VERSION)) {
  console.error(`contracts: QINGLIU_EVM_VERSION=${EVM_VERSION} is not one of ${EVM_VERSIONS.join(', ')}`);
  process.exit(1);
}
const OPTIMIZER_RUNS = 200;

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const sourceDir = join(root, 'contracts');
const artifactDir = join(root, 'artifacts');
const require = createRequire(join(root, 'package.json'));

async function findSolidityFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await findSolidityFiles(path)));
    else if (entry.name.endsWith('.sol')) files.push(path);
  }
  return files.sort();
}

/** Resolves a library import such as `@openzeppelin/contracts/access/AccessControl.sol`. */
function findImport(importPath) {
  const match = /^(@[^/]+\/[^/]+|[^@/][^/]*)\/(.+)$/.exec(importPath);
  if (!match) return { error: `cannot resolve import "${importPath}"` };
  const [, packageName, inner] = match;
  try {
    const packageRoot = dirname(require.resolve(`${packageName}/package.json`));
    return { contents: readFileSync(join(packageRoot, inner), 'utf8') };
  } catch (error) {
    return { error: `cannot read import "${importPath}" from node_modules: ${error.message}` };
  }
}

async function main() {
  const files = await findSolidityFiles(sourceDir);
  if (files.length === 0) throw new Error(`no .sol files under ${sourceDir}`);
  const sources = {};
  for (const file of files) {
    // Source unit names are paths relative to contracts/, with forward slashes.
    const name = relative(sourceDir, file).split(sep).join('/');
    sources[name] = { content: await readFile(file, 'utf8') };
  }

  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));

  const diagnostics = output.errors ?? [];
  const errors = diagnostics.filter((d) => d.severity === 'error');
  for (const warning of diagnostics.filter((d) => d.severity !== 'error')) {
    process.stderr.write(`${warning.formattedMessage ?? warning.message}\n`);
  }
  if (errors.length > 0) {
    const text = errors.map((d) => d.formattedMessage ?? d.message).join('\n');
    throw new Error(`solc ${solc.version()} failed with ${errors.length} error(s):\n${text}`);
  }

  await rm(artifactDir, { recursive: true, force: true });
  await mkdir(artifactDir, { recursive: true });
  const written = [];
  for (const sourceName of Object.keys(sources)) {
    for (const [contractName, contract] of Object.entries(output.contracts?.[sourceName] ?? {})) {
      const artifact = {
        contractName,
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
      };
      await writeFile(join(artifactDir, `${contractName}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
      written.push(contractName);
    }
  }
  console.log(
    `compiled ${files.length} file(s) with solc ${solc.version()} (evm ${EVM_VERSION}): ${written.join(', ')}`,
  );
}

main().catch((error) => {
  console.error(`contracts: compile failed: ${error.message}`);
  process.exitCode = 1;
});
