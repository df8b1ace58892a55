// Send a transfer on the devnet with ethers v6 and wait until it is committed.
//   RPC_URL=http://127.0.0.1:8545 PRIVATE_KEY=0x... TO=0x... npx tsx docs/examples/ethers-transfer.ts
import { formatEther, JsonRpcProvider, parseEther, Wallet } from 'ethers';

const provider = new JsonRpcProvider(process.env.RPC_URL ?? 'http://127.0.0.1:8545');
const wallet = new Wallet(process.env.PRIVATE_KEY ?? '', provider);
const to = process.env.TO ?? wallet.address;

const { chainId } = await provider.getNetwork(); // 1337n on the devnet
const tx = await wallet.sendTransaction({ to, value: parseEther('0.01') });
const receipt = await tx.wait(); // a committed block is final: one confirmation is enough
console.log(`chain ${chainId}: ${tx.hash} committed in block ${receipt?.blockNumber}`);
console.log(`balance of ${to}: ${formatEther(await provider.getBalance(to))} BFT`);
