;; Dot products of one query against many rows, with WebAssembly SIMD: four floats a lane, two lanes a step.
;; Compiled into dotRowsWasm.ts by esbuild.mjs (wabt); vectorStore.ts is its one user.
(module
  (memory (export "memory") 1)
  ;; out[r] = the dot product of the query and row r, for `rows` rows of `stride` floats (a multiple of 8) from
  ;; `data`. Addresses are in bytes and 16-byte aligned.
  (func (export "dotRows") (param $query i32) (param $data i32) (param $rows i32) (param $stride i32) (param $out i32)
    (local $rowBytes i32) (local $i i32) (local $end i32) (local $a v128) (local $b v128)
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $rows) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $b (v128.const f32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        (block $rowDone
          (loop $step
            (br_if $rowDone (i32.ge_u (local.get $i) (local.get $rowBytes)))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load (i32.add (local.get $query) (local.get $i))) (v128.load (i32.add (local.get $data) (local.get $i))))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=16 (i32.add (local.get $query) (local.get $i))) (v128.load offset=16 (i32.add (local.get $data) (local.get $i))))))
            (local.set $i (i32.add (local.get $i) (i32.const 32)))
            (br $step)))
        (local.set $a (f32x4.add (local.get $a) (local.get $b)))
        (f32.store (local.get $out)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
            (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
        (local.set $data (i32.add (local.get $data) (local.get $rowBytes)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $row))))
)
