import assert from "node:assert/strict";
import { test } from "node:test";
import { compareInternal } from "../format/compare.js";
import { KIND_DELETE, KIND_PUT, MAX_SEQ } from "../format/internal-iterator.js";
import { seededRandom } from "../fs/random.js";
import { Memtable } from "./memtable.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function put(m: Memtable, seq: number, k: string, v: string) {
  const kb = enc(k);
  const vb = enc(v);
  m.add(seq, KIND_PUT, kb, 0, kb.length, vb, 0, vb.length);
}

test("get returns the newest version at or below the snapshot", () => {
  const m = new Memtable(64);
  put(m, 1, "a", "a1");
  put(m, 2, "b", "b2");
  put(m, 3, "a", "a3");
  const d = enc("a");
  m.add(4, KIND_DELETE, d, 0, 1, d, 0, 0);
  assert.equal(m.get(enc("a"), 4)?.kind, KIND_DELETE);
  assert.equal(dec(m.get(enc("a"), 3)?.value ?? new Uint8Array()), "a3");
  assert.equal(dec(m.get(enc("a"), 2)?.value ?? new Uint8Array()), "a1");
  assert.equal(m.get(enc("a"), 0), undefined);
  assert.equal(m.get(enc("c"), MAX_SEQ), undefined);
  assert.equal(m.get(enc(""), MAX_SEQ), undefined);
  assert.equal(m.entries, 4);
  assert.equal(m.maxSeq, 4);
});

test("iteration is in internal order forwards and backwards, across arena growth", () => {
  const rnd = seededRandom(7);
  const m = new Memtable(16); // tiny arena: forces many regrowths
  const model: Array<{ k: Uint8Array; seq: number; v: string }> = [];
  for (let seq = 1; seq <= 3000; seq++) {
    const k = enc(`k${Math.floor(rnd() * 500)}`);
    const v = `v${seq}`.repeat(Math.floor(rnd() * 4));
    put(m, seq, dec(k), v);
    model.push({ k, seq, v });
  }
  model.sort((a, b) => compareInternal(a.k, a.seq, b.k, b.seq));
  const it = m.iterator();
  it.seekToFirst();
  for (const e of model) {
    assert.ok(it.valid());
    assert.deepEqual(it.key(), e.k);
    assert.equal(it.seq(), e.seq);
    assert.equal(dec(it.value()), e.v);
    it.next();
  }
  assert.ok(!it.valid());
  it.seekToLast();
  for (let i = model.length - 1; i >= 0; i--) {
    assert.ok(it.valid());
    assert.equal(it.seq(), model[i].seq);
    it.prev();
  }
  assert.ok(!it.valid());
  // seek and seekForPrev against the sorted model
  for (let t = 0; t < 500; t++) {
    const k = enc(`k${Math.floor(rnd() * 520)}`);
    const seq = Math.floor(rnd() * 3100);
    const first = model.findIndex((e) => compareInternal(e.k, e.seq, k, seq) >= 0);
    it.seek(k, seq);
    if (first < 0) assert.ok(!it.valid());
    else assert.equal(it.seq(), model[first].seq);
    let last = -1;
    for (let i = 0; i < model.length; i++) if (compareInternal(model[i].k, model[i].seq, k, seq) <= 0) last = i;
    it.seekForPrev(k, seq);
    if (last < 0) assert.ok(!it.valid());
    else assert.equal(it.seq(), model[last].seq);
  }
});

test("sequential appends keep order and views stay valid after growth", () => {
  const m = new Memtable(32);
  const views: Uint8Array[] = [];
  for (let i = 0; i < 2000; i++) {
    put(m, i + 1, `key${String(i).padStart(5, "0")}`, `value${i}`);
    views.push(m.get(enc(`key${String(i).padStart(5, "0")}`), MAX_SEQ)?.value as Uint8Array);
  }
  for (let i = 0; i < 2000; i++) assert.equal(dec(views[i]), `value${i}`);
  const it = m.iterator();
  it.seekToFirst();
  let n = 0;
  let prev = "";
  while (it.valid()) {
    const k = dec(it.key());
    assert.ok(k > prev);
    prev = k;
    n++;
    it.next();
  }
  assert.equal(n, 2000);
});
