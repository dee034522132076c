// Which build of the wasm module to load.
//
// scripts/build makes two builds of the same Rust code with the same JS glue: one with
// WebAssembly SIMD (every current browser), one that also uses relaxed SIMD, whose fused
// multiply-add makes the matrix products faster. Workers load the relaxed build where the
// browser validates relaxed-SIMD code, and the plain one elsewhere.

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

/** The URL of the build to load, for the glue's `init({module_or_path})`. */
export function wasmUrl() {
  const file = relaxedSimd ? 'grokking_relaxed_bg.wasm' : 'grokking_bg.wasm';
  return new URL(`./pkg/${file}`, import.meta.url);
}
