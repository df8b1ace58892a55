/** Public surface of src/os: what the node asks of the operating system beyond Node's API. */

export type { MallocStats } from './libc.js';
export {
  type FileMapping,
  mallocStats,
  mappingsUnder,
  readMappingsUnder,
  releaseMappings,
  threadCpuClock,
  trimMalloc,
} from './mappings.js';
