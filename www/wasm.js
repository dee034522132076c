// Which build of the wasm module to load.
//
// scripts/build makes two builds of the same Rust code with the same JS glue: one with
// WebAssembly SIMD (every current browser), one that also uses relaxed SIMD, whose fused
// multiply-add makes the matrix products faster. The page and its workers load the relaxed
// build where the browser validates relaxed-SIMD code, and the plain one elsewhere — or
// if the relaxed build does not compile after all: an engine may validate the probe's
// instruction but not every one the build uses (WebKit's, switched on with
// JSC_useWasmRelaxedSIMD=1, rejects f64x2.relaxed_max).

/**
 * A minimal module using a relaxed-SIMD instruction:
 * (module (func (result v128) i32.const 1 i8x16.splat i32.const 2 i8x16.splat
 *                             i8x16.relaxed_swizzle))
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2,
  253, 15, 253, 128, 2, 11,
]);

/** Whether this browser runs relaxed-SIMD code. */
export const relaxedSimd = WebAssembly.validate(RELAXED_SIMD_PROBE);

const url = (file) => new URL(`./pkg/${file}`, import.meta.url);

/**
 * Initialises the glue (`init`, the default export of pkg/grokking.js) with the build for
 * this browser; resolves to the build loaded, 'relaxed' or 'plain'.
 */
export async function loadWasm(init) {
  if (relaxedSimd) {
    try {
      await init({ module_or_path: url('grokking_relaxed_bg.wasm') });
      return 'relaxed';
    } catch (err) {
      if (!(err instanceof WebAssembly.CompileError)) throw err;
      console.warn(`the relaxed-SIMD build does not compile here, loading the plain one: ${err.message}`);
    }
  }
  await init({ module_or_path: url('grokking_bg.wasm') });
  return 'plain';
}
