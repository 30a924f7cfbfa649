#!/usr/bin/env node
// Run an ONNX model with onnxruntime-node: the numerical reference for Kiln.
//
//   node tools/ort/run_ort.js MODEL.onnx --input NAME=FILE.npy|.pb ...
//        [--output-dir DIR] [--threads N] [--runs N] [--warmup N] [--top K]
//        [--info] [--no-session] [--profile PREFIX]
//
// Writes every model output to DIR/<output name>.npy, as kiln-run does ('/'
// in a name becomes '_'). Single-threaded by default
// (intraOpNumThreads = interOpNumThreads = 1). With --runs N > 1, prints
// "median latency: X.XXX ms over N runs" (after --warmup runs, default 1).
// --top K prints the K largest scores of each float output shaped [1, N].
// --info prints the model's inputs and outputs and exits.
// --no-session loads onnxruntime-node and reads the inputs, then exits
// without creating a session: the process baseline of memory measurements.
// --profile PREFIX turns on onnxruntime's profiler (enableProfiling) and
// prints "profile: FILE", the JSON trace it wrote (Chrome trace events; one
// "Node" event per kernel run, warm-up runs included).
//
// .npy files: little-endian, C order, dtypes float32/float64/float16/int8/
// uint8/int16/uint16/int32/uint32/int64/uint64/bool. .pb files: an ONNX
// TensorProto (as in ONNX's backend test data), raw_data or the typed
// repeated fields.
'use strict';

const fs = require('fs');
const path = require('path');

function loadOrt() {
  const dir = path.join(__dirname, 'node_modules', 'onnxruntime-node');
  try {
    return require(dir);
  } catch (e) {
    die(`cannot load onnxruntime-node from ${dir} (run scripts/setup.sh): ` +
        e.message.split('\n')[0]);
  }
}

function die(msg) {
  process.stderr.write(`run_ort: ${msg}\n`);
  process.exit(1);
}

// ---- dtypes -------------------------------------------------------------

// ort tensor type <-> npy descr <-> typed array <-> ONNX TensorProto enum.
const DTYPES = [
  {ort: 'float32', npy: 'f4', array: Float32Array, onnx: 1},
  {ort: 'uint8', npy: 'u1', array: Uint8Array, onnx: 2},
  {ort: 'int8', npy: 'i1', array: Int8Array, onnx: 3},
  {ort: 'uint16', npy: 'u2', array: Uint16Array, onnx: 4},
  {ort: 'int16', npy: 'i2', array: Int16Array, onnx: 5},
  {ort: 'int32', npy: 'i4', array: Int32Array, onnx: 6},
  {ort: 'int64', npy: 'i8', array: BigInt64Array, onnx: 7},
  {ort: 'bool', npy: 'b1', array: Uint8Array, onnx: 9},
  {ort: 'float16', npy: 'f2', array: Uint16Array, onnx: 10}, // as bits
  {ort: 'float64', npy: 'f8', array: Float64Array, onnx: 11},
  {ort: 'uint32', npy: 'u4', array: Uint32Array, onnx: 12},
  {ort: 'uint64', npy: 'u8', array: BigUint64Array, onnx: 13},
];
const byOrt = (t) => DTYPES.find((d) => d.ort === t);
const byNpy = (t) => DTYPES.find((d) => d.npy === t);
const byOnnx = (t) => DTYPES.find((d) => d.onnx === t);

// Copy `bytes` (a Buffer slice) into a fresh, aligned typed array.
function typedFromBytes(dt, bytes) {
  const n = bytes.length / dt.array.BYTES_PER_ELEMENT;
  if (!Number.isInteger(n)) die('data size is not a multiple of the element size');
  const out = new dt.array(n);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

// ---- .npy ---------------------------------------------------------------

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY')
    die(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen, hstart;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    hlen = buf.readUInt32LE(8);
    hstart = 12;
  } else {
    die(`${file}: unsupported .npy version ${major}`);
  }
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) die(`${file}: malformed .npy header`);
  if (fortran[1] === 'True') die(`${file}: Fortran-order arrays are not supported`);
  let d = descr[1];
  if (d[0] === '>' && d.slice(1) !== 'u1' && d.slice(1) !== 'i1' && d.slice(1) !== 'b1')
    die(`${file}: big-endian data is not supported`);
  if ('<|='.includes(d[0])) d = d.slice(1);
  const dt = byNpy(d);
  if (!dt) die(`${file}: unsupported dtype '${descr[1]}'`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length)
                   .map((s) => parseInt(s, 10));
  const count = dims.reduce((a, b) => a * b, 1);
  const data = buf.subarray(hstart + hlen);
  const nbytes = count * dt.array.BYTES_PER_ELEMENT;
  if (data.length < nbytes) die(`${file}: truncated (${data.length} < ${nbytes} bytes)`);
  return {type: dt.ort, dims, data: typedFromBytes(dt, data.subarray(0, nbytes))};
}

function writeNpy(file, type, dims, data) {
  const dt = byOrt(type);
  if (!dt) die(`output type ${type} cannot be written as .npy`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${dt.npy.endsWith('1') ? '|' : '<'}${dt.npy}', ` +
               `'fortran_order': False, 'shape': ${shape}, }`;
  // magic(6) + version(2) + len(2) + header + '\n', padded to 64 bytes.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre[0] = 0x93;
  pre.write('NUMPY', 1, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// ---- .pb (onnx.TensorProto) ---------------------------------------------

function readVarint(buf, pos) {
  let v = 0n, shift = 0n;
  for (;;) {
    if (pos.i >= buf.length) die('truncated varint in TensorProto');
    const b = buf[pos.i++];
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
    shift += 7n;
  }
}

function readPb(file) {
  const buf = fs.readFileSync(file);
  const pos = {i: 0};
  const dims = [];
  let dataType = 0, raw = null;
  const ints = [], floats = [], doubles = [];
  const packedOrOne = (wire, each) => {
    if (wire === 2) {
      const len = Number(readVarint(buf, pos)), end = pos.i + len;
      while (pos.i < end) each();
    } else {
      each();
    }
  };
  while (pos.i < buf.length) {
    const key = Number(readVarint(buf, pos));
    const field = key >>> 3, wire = key & 7;
    if (field === 1) packedOrOne(wire, () => dims.push(Number(BigInt.asIntN(64, readVarint(buf, pos)))));
    else if (field === 2) dataType = Number(readVarint(buf, pos));
    else if (field === 4) packedOrOne(wire, () => { floats.push(buf.readFloatLE(pos.i)); pos.i += 4; });
    else if (field === 5 || field === 7) packedOrOne(wire, () => ints.push(BigInt.asIntN(64, readVarint(buf, pos))));
    else if (field === 10) packedOrOne(wire, () => { doubles.push(buf.readDoubleLE(pos.i)); pos.i += 8; });
    else if (field === 9) {
      const len = Number(readVarint(buf, pos));
      raw = buf.subarray(pos.i, pos.i + len);
      pos.i += len;
    } else if (wire === 0) readVarint(buf, pos);
    else if (wire === 1) pos.i += 8;
    else if (wire === 5) pos.i += 4;
    else if (wire === 2) {  // name, string_data, doc_string, ...: skipped
      const len = Number(readVarint(buf, pos));
      pos.i += len;
    }
    else die(`${file}: unsupported protobuf wire type ${wire}`);
  }
  const dt = byOnnx(dataType);
  if (!dt) die(`${file}: unsupported TensorProto data_type ${dataType}`);
  const count = dims.reduce((a, b) => a * b, 1);
  let data;
  if (raw) {
    data = typedFromBytes(dt, raw);
  } else {
    data = new dt.array(count);
    const src = dt.ort === 'float32' ? floats : dt.ort === 'float64' ? doubles : ints;
    for (let k = 0; k < count; k++) {
      const v = src[k];
      data[k] = typeof data[0] === 'bigint' ? BigInt(v) : Number(v);
    }
  }
  if (data.length !== count) die(`${file}: ${data.length} elements, shape says ${count}`);
  return {type: dt.ort, dims, data};
}

// ---- main ---------------------------------------------------------------

function parseArgs(argv) {
  const a = {model: null, inputs: [], outputDir: '.', threads: 1, runs: 1, warmup: null,
             info: false, top: 0, noSession: false, profile: null};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${arg} needs a value`);
      return argv[++i];
    };
    const num = (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) die(`${arg}: '${s}' is not a non-negative integer`);
      return n;
    };
    if (arg === '--input') {
      const s = val(), eq = s.indexOf('=');
      if (eq <= 0) die(`--input expects NAME=FILE, got '${s}'`);
      a.inputs.push({name: s.slice(0, eq), file: s.slice(eq + 1)});
    } else if (arg === '--output-dir') a.outputDir = val();
    else if (arg === '--threads') a.threads = num(val());
    else if (arg === '--runs') a.runs = Math.max(1, num(val()));
    else if (arg === '--warmup') a.warmup = num(val());
    else if (arg === '--top') a.top = num(val());
    else if (arg === '--info') a.info = true;
    else if (arg === '--no-session') a.noSession = true;
    else if (arg === '--profile') a.profile = val();
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 24)
                               .map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else if (arg.startsWith('-')) die(`unknown option ${arg}`);
    else if (a.model === null) a.model = arg;
    else die(`unexpected argument ${arg}`);
  }
  if (a.model === null) die('usage: run_ort.js MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR');
  if (a.warmup === null) a.warmup = a.runs > 1 ? 1 : 0;
  return a;
}

// Same rule as kiln-run: characters outside [A-Za-z0-9_.-] become '_'.
function sanitize(name) {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function describe(meta) {
  if (!meta.isTensor) return `${meta.name}: (not a tensor)`;
  return `${meta.name}: ${meta.type} [${meta.shape.join('x')}]`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  if (!fs.existsSync(args.model)) die(`${args.model}: no such file`);
  if (args.noSession) {
    for (const {file} of args.inputs) {
      const t = file.endsWith('.pb') ? readPb(file) : readNpy(file);
      new ort.Tensor(t.type, t.data, t.dims);
    }
    return;
  }
  const opts = {
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  if (args.profile) {
    opts.enableProfiling = true;
    opts.profileFilePrefix = args.profile;
  }
  let session;
  try {
    session = await ort.InferenceSession.create(args.model, opts);
  } catch (e) {
    die(`${args.model}: ${e.message.split('\n')[0]}`);
  }
  const inMeta = session.inputMetadata || session.inputNames.map((n) => ({name: n}));
  const outMeta = session.outputMetadata || session.outputNames.map((n) => ({name: n}));
  if (args.info) {
    for (const m of inMeta) console.log(`input  ${describe(m)}`);
    for (const m of outMeta) console.log(`output ${describe(m)}`);
    return;
  }

  const feeds = {};
  for (const {name, file} of args.inputs) {
    if (!session.inputNames.includes(name))
      die(`model has no input '${name}' (inputs: ${session.inputNames.join(', ')})`);
    const t = file.endsWith('.pb') ? readPb(file) : readNpy(file);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) die(`missing --input for: ${missing.join(', ')}`);

  const runOnce = async () => {
    try {
      return await session.run(feeds);
    } catch (e) {
      die(`run failed: ${e.message.split('\n')[0]}`);
    }
  };
  for (let i = 0; i < args.warmup; i++) await runOnce();
  const times = [];
  let results;
  for (let i = 0; i < args.runs; i++) {
    const t0 = process.hrtime.bigint();
    results = await runOnce();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }

  fs.mkdirSync(args.outputDir, {recursive: true});
  for (const name of session.outputNames) {
    const t = results[name];
    const file = path.join(args.outputDir, sanitize(name) + '.npy');
    writeNpy(file, t.type, t.dims, t.data);
    if (args.top > 0 && t.type === 'float32' && t.dims.length === 2 && t.dims[0] === 1) {
      const idx = Array.from(t.data.keys()).sort((x, y) => t.data[y] - t.data[x])
                      .slice(0, args.top);
      console.log(`top-${idx.length} of ${name}:`);
      idx.forEach((c, r) => console.log(`  ${r + 1}. class ${c}  ${t.data[c].toFixed(4)}`));
    }
  }
  if (args.profile) {
    // The node binding's endProfiling() returns nothing: the trace is the
    // newest PREFIX_<date>.json.
    session.endProfiling();
    const dir = path.dirname(args.profile), base = path.basename(args.profile) + '_';
    const traces = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'))
                       .map((f) => path.join(dir, f))
                       .sort((x, y) => fs.statSync(y).mtimeMs - fs.statSync(x).mtimeMs);
    if (!traces.length) die(`onnxruntime wrote no profile ${args.profile}_*.json`);
    console.log(`profile: ${traces[0]}`);
  }
  if (args.runs > 1) {
    times.sort((x, y) => x - y);
    const n = times.length;
    const med = n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    console.log(`median latency: ${med.toFixed(3)} ms over ${n} runs`);
  }
  await session.release();
}

main().catch((e) => die(e.stack || String(e)));
