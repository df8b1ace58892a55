/** Public surface of src/os: what the node asks of the operating system beyond Node's API. */
export {
  type FileMapping,
  mappingsUnder,
  releaseMappingsUnder,
  threadCpuClock,
} from './mappings.js';
