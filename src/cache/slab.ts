// The cache's memory: one allocation per key, carved out of large pages off the V8 heap.
//
// A block is named by a 32-bit handle: page (15 bits) << 17 | offset / 8 (17 bits), so a 1 MiB page
// holds blocks at 8-byte granularity and an index slot costs 4 bytes. Handle 0 is never a block
// (page 0 is never used), so 0 means "none".
//
// Blocks up to MAX_CLASS_SIZE come from size classes (8-byte steps to 512, then four steps per
// doubling); each page serves one class and keeps its own free list (a freed block holds the next
// free offset in bytes 4..7 and 0 in byte 0), so a page whose blocks are all freed is released to
// the system. Larger blocks get a page of their own, released on free.

export const PAGE_SIZE = 1 << 20;
const OFF_BITS = 17;
const OFF_MASK = (1 << OFF_BITS) - 1;
const MAX_PAGES = 1 << 15;
export const MAX_CLASS_SIZE = 256 * 1024;

const CLASS_SIZES: number[] = [];
for (let s = 8; s <= 512; s += 8) CLASS_SIZES.push(s);
for (let base = 512; base < MAX_CLASS_SIZE; base *= 2) {
  for (let q = 1; q <= 4; q++) CLASS_SIZES.push(base + (base / 4) * q);
}
const NUM_CLASSES = CLASS_SIZES.length;
const LARGE = -1;
const EMPTY_PAGE = new Uint8Array(0);

/** The size class index for a block of `size` bytes (size <= MAX_CLASS_SIZE). */
function classOf(size: number): number {
  if (size <= 512) return size <= 8 ? 0 : ((size + 7) >>> 3) - 1;
  let lo = 64;
  let hi = NUM_CLASSES - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (CLASS_SIZES[mid] >= size) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export class SlabFullError extends Error {}

export class Slab {
  /** Page bytes by page number; EMPTY_PAGE for a released or unused number. */
  readonly pages: Uint8Array[] = [EMPTY_PAGE];
  readonly views: DataView[] = [new DataView(new ArrayBuffer(0))];
  private pageClass = new Int16Array(64);
  private pageLive = new Int32Array(64);
  /** Per page: byte offset + 1 of its first free block, 0 when it has none. */
  private pageFree = new Int32Array(64);
  /** Per page: its position in its class's partial list, or -1. */
  private pagePartialPos = new Int32Array(64).fill(-1);
  private readonly freePageNumbers: number[] = [];
  private readonly classPage = new Int32Array(NUM_CLASSES);
  private readonly classBump = new Int32Array(NUM_CLASSES);
  private readonly classPartial: number[][] = Array.from({ length: NUM_CLASSES }, () => []);

  /** Bytes in live blocks (block sizes, not the bytes asked for). */
  bytesInUse = 0;
  /** Bytes of pages held. */
  bytesReserved = 0;
  liveBlocks = 0;

  /** The usable size of a block of `size` bytes. */
  static blockSize(size: number): number {
    return size > MAX_CLASS_SIZE ? (size + 7) & ~7 : CLASS_SIZES[classOf(size)];
  }

  page(handle: number): Uint8Array {
    return this.pages[handle >>> OFF_BITS];
  }

  view(handle: number): DataView {
    return this.views[handle >>> OFF_BITS];
  }

  /** Byte offset of the block within its page. */
  offset(handle: number): number {
    return (handle & OFF_MASK) << 3;
  }

  /** The usable size of an allocated block. */
  sizeOf(handle: number): number {
    const p = handle >>> OFF_BITS;
    const c = this.pageClass[p];
    return c === LARGE ? this.pages[p].length : CLASS_SIZES[c];
  }

  alloc(size: number): number {
    if (size > MAX_CLASS_SIZE) {
      const bytes = (size + 7) & ~7;
      const p = this.newPage(LARGE, bytes);
      this.pageLive[p] = 1;
      this.bytesInUse += bytes;
      this.liveBlocks++;
      return (p << OFF_BITS) >>> 0;
    }
    const c = classOf(size);
    const cs = CLASS_SIZES[c];
    const partial = this.classPartial[c];
    let p: number;
    let off: number;
    if (partial.length > 0) {
      p = partial[partial.length - 1];
      off = this.pageFree[p] - 1;
      const page = this.pages[p];
      const next = page[off + 4] | (page[off + 5] << 8) | (page[off + 6] << 16) | (page[off + 7] << 24);
      this.pageFree[p] = next;
      if (next === 0) this.dropPartial(p);
    } else {
      p = this.classPage[c];
      off = this.classBump[c];
      if (p === 0 || off + cs > PAGE_SIZE) {
        p = this.newPage(c, PAGE_SIZE);
        this.classPage[c] = p;
        off = 0;
      }
      this.classBump[c] = off + cs;
    }
    this.pageLive[p]++;
    this.bytesInUse += cs;
    this.liveBlocks++;
    return ((p << OFF_BITS) | (off >>> 3)) >>> 0;
  }

  free(handle: number): void {
    const p = handle >>> OFF_BITS;
    const c = this.pageClass[p];
    const page = this.pages[p];
    this.liveBlocks--;
    if (c === LARGE) {
      this.bytesInUse -= page.length;
      this.releasePage(p);
      return;
    }
    const off = (handle & OFF_MASK) << 3;
    this.bytesInUse -= CLASS_SIZES[c];
    page[off] = 0;
    const next = this.pageFree[p];
    page[off + 4] = next;
    page[off + 5] = next >>> 8;
    page[off + 6] = next >>> 16;
    page[off + 7] = next >>> 24;
    this.pageFree[p] = off + 1;
    if (--this.pageLive[p] === 0 && this.classPage[c] !== p) {
      if (next !== 0) this.dropPartial(p);
      this.releasePage(p);
      return;
    }
    if (next === 0) {
      this.pagePartialPos[p] = this.classPartial[c].length;
      this.classPartial[c].push(p);
    }
  }

  /** Releases every page. */
  clear(): void {
    for (let p = 1; p < this.pages.length; p++) this.pages[p] = EMPTY_PAGE;
    this.pages.length = 1;
    this.views.length = 1;
    this.freePageNumbers.length = 0;
    this.classPage.fill(0);
    this.classBump.fill(0);
    for (const l of this.classPartial) l.length = 0;
    this.pagePartialPos.fill(-1);
    this.pageFree.fill(0);
    this.pageLive.fill(0);
    this.bytesInUse = 0;
    this.bytesReserved = 0;
    this.liveBlocks = 0;
  }

  private dropPartial(p: number): void {
    const list = this.classPartial[this.pageClass[p]];
    const pos = this.pagePartialPos[p];
    const last = list.pop()!;
    if (last !== p) {
      list[pos] = last;
      this.pagePartialPos[last] = pos;
    }
    this.pagePartialPos[p] = -1;
  }

  private newPage(cls: number, bytes: number): number {
    let p = this.freePageNumbers.pop();
    if (p === undefined) {
      p = this.pages.length;
      if (p >= MAX_PAGES) throw new SlabFullError("cache slab is full (32768 pages)");
      this.pages.push(EMPTY_PAGE);
      this.views.push(this.views[0]);
      if (p >= this.pageClass.length) this.growPageArrays();
    }
    const page = new Uint8Array(bytes);
    this.pages[p] = page;
    this.views[p] = new DataView(page.buffer);
    this.pageClass[p] = cls;
    this.pageLive[p] = 0;
    this.pageFree[p] = 0;
    this.pagePartialPos[p] = -1;
    this.bytesReserved += bytes;
    return p;
  }

  private releasePage(p: number): void {
    this.bytesReserved -= this.pages[p].length;
    this.pages[p] = EMPTY_PAGE;
    this.views[p] = this.views[0];
    this.pageLive[p] = 0;
    this.pageFree[p] = 0;
    this.freePageNumbers.push(p);
  }

  private growPageArrays(): void {
    const n = this.pageClass.length * 2;
    const grow = <T extends Int16Array | Int32Array>(a: T, make: (n: number) => T, fill = 0): T => {
      const b = make(n);
      if (fill !== 0) b.fill(fill);
      b.set(a);
      return b;
    };
    this.pageClass = grow(this.pageClass, (k) => new Int16Array(k));
    this.pageLive = grow(this.pageLive, (k) => new Int32Array(k));
    this.pageFree = grow(this.pageFree, (k) => new Int32Array(k));
    this.pagePartialPos = grow(this.pagePartialPos, (k) => new Int32Array(k), -1);
  }
}
