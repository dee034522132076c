//! `Link`: a worker's end of the `SharedArrayBuffer` through which the workers of one run
//! split every step (the protocol is [`crate::engine::split`]; this file only maps its
//! [`Shared`] memory onto typed arrays and `Atomics`).

use crate::engine::split::{Shared, SplitLayout, Worker, WORDS};
use wasm_bindgen::prelude::*;

/// The shared buffer as typed arrays: control words, numbers, gradient floats.
#[derive(Debug)]
pub struct JsShared {
    ctrl: js_sys::Int32Array,
    numbers: js_sys::Float64Array,
    floats: js_sys::Float32Array,
}

impl Shared for JsShared {
    fn load(&self, i: usize) -> i32 {
        js_sys::Atomics::load(&self.ctrl, i as u32).unwrap_or(0)
    }

    fn store(&self, i: usize, value: i32) {
        let _ = js_sys::Atomics::store(&self.ctrl, i as u32, value);
        let _ = js_sys::Atomics::notify(&self.ctrl, i as u32);
    }

    fn wait(&self, i: usize, seen: i32, timeout_ms: f64) {
        if timeout_ms.is_finite() {
            let _ = js_sys::Atomics::wait_with_timeout(&self.ctrl, i as u32, seen, timeout_ms);
        } else {
            let _ = js_sys::Atomics::wait(&self.ctrl, i as u32, seen);
        }
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn get(&self, i: usize) -> f64 {
        self.numbers.get_index(i as u32)
    }

    fn set(&self, i: usize, value: f64) {
        self.numbers.set_index(i as u32, value);
    }

    fn read(&self, at: usize, dst: &mut [f32]) {
        self.floats
            .subarray(at as u32, (at + dst.len()) as u32)
            .copy_to(dst);
    }

    fn write(&self, at: usize, src: &[f32]) {
        self.floats
            .subarray(at as u32, (at + src.len()) as u32)
            .copy_from(src);
    }
}

/// One worker's end of the shared memory of a split run.
#[wasm_bindgen]
pub struct Link {
    worker: Worker<JsShared>,
}

impl Link {
    /// The protocol's worker.
    pub fn worker_mut(&mut self) -> &mut Worker<JsShared> {
        &mut self.worker
    }
}

#[wasm_bindgen]
impl Link {
    /// Bytes of the `SharedArrayBuffer` that `workers` workers exchanging partial
    /// gradients of `size` values (`Session.exchange_len()`) share. Throws if the workers
    /// cannot share a step evenly (1, 2, 4 or 8).
    pub fn byte_length(workers: usize, size: usize) -> Result<usize, JsError> {
        Ok(SplitLayout::new(workers, size)
            .map_err(|e| JsError::new(&e))?
            .byte_length())
    }

    /// Worker `index` (0 leads) of `workers`, on `buffer` (a `SharedArrayBuffer` of
    /// [`Link::byte_length`] bytes; the leader creates it and posts it to the others),
    /// exchanging partial gradients of `size` values (`Session.exchange_len()`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        buffer: &JsValue,
        workers: usize,
        index: usize,
        size: usize,
    ) -> Result<Link, JsError> {
        if !buffer.is_instance_of::<js_sys::SharedArrayBuffer>() {
            return Err(JsError::new("a link needs a SharedArrayBuffer"));
        }
        if index >= workers {
            return Err(JsError::new(&format!("worker {index} of {workers}")));
        }
        let layout = SplitLayout::new(workers, size).map_err(|e| JsError::new(&e))?;
        let bytes = buffer
            .unchecked_ref::<js_sys::SharedArrayBuffer>()
            .byte_length() as usize;
        layout.check_bytes(bytes).map_err(|e| JsError::new(&e))?;
        let mem = JsShared {
            ctrl: js_sys::Int32Array::new_with_byte_offset_and_length(buffer, 0, WORDS as u32),
            numbers: js_sys::Float64Array::new_with_byte_offset_and_length(
                buffer,
                SplitLayout::numbers_offset() as u32,
                layout.numbers() as u32,
            ),
            floats: js_sys::Float32Array::new_with_byte_offset_and_length(
                buffer,
                layout.floats_offset() as u32,
                layout.floats() as u32,
            ),
        };
        Ok(Link {
            worker: Worker::new(mem, layout, index),
        })
    }

    /// Tells the followers to return from `Session.follow` (to their event loops, where
    /// they can take a new run). The leader calls this before anything else it sends
    /// them.
    pub fn stop(&mut self) {
        self.worker.stop();
    }
}
