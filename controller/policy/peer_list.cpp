#include "controller/policy/peer_list.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>

namespace ward::policy {

void ProvenanceList::copy_heap(const ProvenanceList& other) {
  u_.heap = {new Provenance[size_], size_};
  std::copy(other.u_.heap.data, other.u_.heap.data + size_, u_.heap.data);
}

ProvenanceList& ProvenanceList::operator=(const ProvenanceList& other) {
  if (this != &other) *this = ProvenanceList(other);
  return *this;
}

ProvenanceList& ProvenanceList::operator=(ProvenanceList&& other) noexcept {
  if (this != &other) {
    if (size_ > kInline) delete[] u_.heap.data;
    u_ = other.u_;
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

void ProvenanceList::push_back(Provenance p) {
  if (size_ < kInline) {
    u_.inline_[size_++] = p;
    return;
  }
  if (size_ == kInline) {
    Provenance first[kInline] = {u_.inline_[0], u_.inline_[1]};
    u_.heap = {new Provenance[2 * kInline], 2 * kInline};
    std::copy(first, first + kInline, u_.heap.data);
  } else if (size_ == u_.heap.capacity) {
    auto* bigger = new Provenance[2 * std::size_t{size_}];
    std::copy(u_.heap.data, u_.heap.data + size_, bigger);
    delete[] u_.heap.data;
    u_.heap = {bigger, 2 * size_};
  }
  u_.heap.data[size_++] = p;
}

bool operator==(const ProvenanceList& a, const ProvenanceList& b) {
  if (a.size_ != b.size_) return false;
  for (std::size_t i = 0; i < a.size_; ++i) {
    if (!(a[i] == b[i])) return false;
  }
  return true;
}

namespace {

// Chunk size for a list of n entries: about sqrt(n) (an edit copies one chunk and the
// spine of n / chunk references), at least 16 so small lists are one or two chunks.
std::uint32_t target_for(std::size_t n) {
  auto t = static_cast<std::uint32_t>(std::sqrt(static_cast<double>(n)));
  return std::max<std::uint32_t>(t, 16);
}

std::uint64_t id_key(std::string_view id) {
  std::uint64_t k = 0;
  for (std::size_t i = 0; i < 8; ++i)
    k = (k << 8) | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
  return k;
}

// Is the entry with this key ordered before `id` (key `k`)? Touches the entry only when
// the keys tie.
bool before(std::uint64_t entry_key, const PeerEntry& e, std::uint64_t k, std::string_view id) {
  if (entry_key != k) return entry_key < k;
  return std::string_view(e.info->id) < id;
}

}  // namespace

namespace detail {

// The intrusive reference count of the variable-length blocks below (a header followed by
// its elements in one ::operator new allocation): the release() that drops the last
// reference destroys the elements (D::destroy_elements), the header, and frees the block.
template <class D>
struct BlockRefs {
  std::atomic<std::uint32_t> refs{1};
  void retain() { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    D* self = static_cast<D*>(this);
    self->destroy_elements();
    self->~D();
    ::operator delete(self);
  }
};

}  // namespace detail

struct alignas(8) PeerList::Chunk : detail::BlockRefs<Chunk> {
  std::uint32_t size = 0;
  // keys[i]: the first 8 bytes of entries[i].info->id as a big-endian number, zero
  // padded. Ids with different keys compare as their keys do; equal keys need the ids.
  std::uint64_t* keys() { return reinterpret_cast<std::uint64_t*>(this + 1); }
  const std::uint64_t* keys() const { return reinterpret_cast<const std::uint64_t*>(this + 1); }
  PeerEntry* entries() { return reinterpret_cast<PeerEntry*>(keys() + size); }
  const PeerEntry* entries() const { return reinterpret_cast<const PeerEntry*>(keys() + size); }
  const PeerEntry& back() const { return entries()[size - 1]; }

  void destroy_elements() {
    PeerEntry* e = entries();
    for (std::uint32_t i = 0; i < size; ++i)
      e[i].~PeerEntry();
  }
};

struct alignas(8) PeerList::Spine : detail::BlockRefs<Spine> {
  std::uint32_t count = 0;   // chunks, never 0
  std::uint32_t target = 0;  // the chunk size the list was built for
  ChunkRef* chunks() { return reinterpret_cast<ChunkRef*>(this + 1); }
  const ChunkRef* chunks() const { return reinterpret_cast<const ChunkRef*>(this + 1); }

  static Spine* make(std::uint32_t count, std::uint32_t target) {
    void* mem = ::operator new(sizeof(Spine) + count * sizeof(ChunkRef));
    auto* s = new (mem) Spine;
    s->count = count;
    s->target = target;
    return s;
  }
  void destroy_elements() {
    for (std::uint32_t c = 0; c < count; ++c)
      chunks()[c].chunk->release();
  }
};

PeerList::Chunk* PeerList::make_chunk(std::size_t n) {
  void* mem = ::operator new(sizeof(Chunk) + n * (sizeof(std::uint64_t) + sizeof(PeerEntry)));
  auto* c = new (mem) Chunk;
  c->size = static_cast<std::uint32_t>(n);
  return c;  // the caller constructs every entry and key
}

PeerList::PeerList(const PeerList& other) noexcept : spine_(other.spine_) {
  if (spine_) spine_->retain();
}

PeerList& PeerList::operator=(const PeerList& other) noexcept {
  if (other.spine_) other.spine_->retain();
  if (spine_) spine_->release();
  spine_ = other.spine_;
  return *this;
}

PeerList& PeerList::operator=(PeerList&& other) noexcept {
  if (this != &other) {
    if (spine_) spine_->release();
    spine_ = other.spine_;
    other.spine_ = nullptr;
  }
  return *this;
}

PeerList::~PeerList() {
  if (spine_) spine_->release();
}

void PeerList::const_iterator::next_chunk(std::size_t c) {
  if (c >= spine_->count) {
    cur_ = chunk_begin_ = chunk_end_ = nullptr;
    return;
  }
  c_ = c;
  const Chunk* chunk = spine_->chunks()[c].chunk;
  cur_ = chunk_begin_ = chunk->entries();
  chunk_end_ = cur_ + chunk->size;
}

PeerList::PeerList(std::vector<PeerEntry> entries) {
  const std::size_t n = entries.size();
  if (n == 0) return;
  const std::uint32_t target = target_for(n);
  const std::size_t count = (n + target - 1) / target;
  Spine* spine = Spine::make(static_cast<std::uint32_t>(count), target);
  std::size_t at = 0;
  for (std::size_t c = 0; c < count; ++c) {
    const std::size_t end = n * (c + 1) / count;  // even split
    Chunk* chunk = make_chunk(end - at);
    for (std::size_t i = 0; at < end; ++at, ++i) {
      chunk->keys()[i] = id_key(entries[at].info->id);
      new (&chunk->entries()[i]) PeerEntry(std::move(entries[at]));
    }
    new (&spine->chunks()[c])
        ChunkRef{chunk, chunk->keys()[chunk->size - 1], static_cast<std::uint32_t>(end)};
  }
  spine_ = spine;
}

std::size_t PeerList::size() const {
  return spine_ ? spine_->chunks()[spine_->count - 1].end : 0;
}

void PeerList::prefetch_chunks() const {
  if (!spine_) return;
  const ChunkRef* c = spine_->chunks();
  for (std::uint32_t i = 0; i < spine_->count; ++i)
    __builtin_prefetch(c[i].chunk, 1);
}

std::size_t PeerList::chunk_count() const {
  return spine_ ? spine_->count : 0;
}

std::size_t PeerList::chunk_of(std::size_t i) const {
  const ChunkRef* c = spine_->chunks();
  const ChunkRef* it = std::upper_bound(c, c + spine_->count, i,
                                        [](std::size_t k, const ChunkRef& r) { return k < r.end; });
  return static_cast<std::size_t>(it - c);
}

const PeerEntry& PeerList::operator[](std::size_t i) const {
  const std::size_t c = chunk_of(i);
  const std::size_t start = c ? spine_->chunks()[c - 1].end : 0;
  return spine_->chunks()[c].chunk->entries()[i - start];
}

PeerList::const_iterator PeerList::begin() const {
  const_iterator it;
  if (!spine_) return it;
  it.spine_ = spine_;
  it.next_chunk(0);
  return it;
}

std::size_t PeerList::lower_bound(std::string_view id, const PeerEntry** at) const {
  if (at) *at = nullptr;
  if (!spine_) return 0;
  const std::uint64_t k = id_key(id);
  const ChunkRef* c = spine_->chunks();
  const ChunkRef* c_end = c + spine_->count;
  // The first chunk whose last entry is not before id holds the answer.
  const ChunkRef* ci = std::partition_point(c, c_end, [&](const ChunkRef& r) {
    if (r.last_key != k) return r.last_key < k;
    return std::string_view(r.chunk->back().info->id) < id;
  });
  if (ci == c_end) return size();
  const Chunk& chunk = *ci->chunk;
  const std::uint64_t* keys = chunk.keys();
  const PeerEntry* entries = chunk.entries();
  std::size_t lo = 0, hi = chunk.size;
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (before(keys[mid], entries[mid], k, id))
      lo = mid + 1;
    else
      hi = mid;
  }
  if (at && lo < chunk.size) *at = &entries[lo];
  const std::size_t start = ci == c ? 0 : (ci - 1)->end;
  return start + lo;
}

const PeerEntry* PeerList::find(std::string_view id) const {
  const PeerEntry* e = nullptr;
  lower_bound(id, &e);
  return e && e->info->id == id ? e : nullptr;
}

PeerList PeerList::spliced(std::size_t pos, std::size_t erase, const PeerEntry* insert) const {
  if (!spine_) return insert ? PeerList(std::vector<PeerEntry>{*insert}) : PeerList();
  const Spine& old = *spine_;
  const ChunkRef* refs = old.chunks();
  const std::size_t n = size();
  // The chunk the edit lands in (appending goes to the last one).
  const std::size_t ci = pos < n ? chunk_of(pos) : old.count - 1;
  const std::size_t start = ci ? refs[ci - 1].end : 0;
  const Chunk& src = *refs[ci].chunk;
  const std::size_t off = pos - start;
  const std::size_t cut = std::min<std::size_t>(erase, src.size - off);
  const std::uint64_t insert_key = insert ? id_key(insert->info->id) : 0;

  // The entries of the replaced chunks [first, last) after the edit, by reference. Keep
  // chunk sizes within [target / 2, 2 * target]: a small chunk takes in a neighbour, a
  // big one is split in two.
  struct Item {
    const PeerEntry* entry;
    std::uint64_t key;
  };
  std::vector<Item> items;
  items.reserve(src.size + 1 + 2 * std::size_t{old.target});
  auto take = [&](const Chunk& c, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
      items.push_back({&c.entries()[i], c.keys()[i]});
  };
  std::size_t first = ci, last = ci + 1;
  const std::size_t edited = src.size - cut + (insert ? 1 : 0);
  const bool merge = edited < old.target / 2 && old.count > 1;
  if (merge && ci + 1 == old.count) {
    first = ci - 1;
    take(*refs[ci - 1].chunk, 0, refs[ci - 1].chunk->size);
  }
  take(src, 0, off);
  if (insert) items.push_back({insert, insert_key});
  take(src, off + cut, src.size);
  if (merge && ci + 1 < old.count) {
    last = ci + 2;
    take(*refs[ci + 1].chunk, 0, refs[ci + 1].chunk->size);
  }
  if (items.empty() && old.count == 1) return PeerList();

  const std::size_t parts = items.empty() ? 0 : items.size() > 2 * std::size_t{old.target} ? 2 : 1;
  const std::size_t count = old.count - (last - first) + parts;
  // Taking a reference on every shared chunk touches each chunk's header, one cache miss
  // apiece; fetch them all at once rather than one locked increment after another.
  for (std::size_t c = 0; c < old.count; ++c)
    __builtin_prefetch(refs[c].chunk, 1);
  Spine* spine = Spine::make(static_cast<std::uint32_t>(count), old.target);
  ChunkRef* out = spine->chunks();
  for (std::size_t c = 0; c < first; ++c) {
    refs[c].chunk->retain();
    out[c] = refs[c];
  }
  std::uint32_t end = first ? refs[first - 1].end : 0;
  std::size_t at = 0;
  for (std::size_t p = 0; p < parts; ++p) {
    const std::size_t to = items.size() * (p + 1) / parts;
    Chunk* chunk = make_chunk(to - at);
    for (std::size_t i = 0; at < to; ++at, ++i) {
      chunk->keys()[i] = items[at].key;
      new (&chunk->entries()[i]) PeerEntry(*items[at].entry);
    }
    end += chunk->size;
    out[first + p] = {chunk, chunk->keys()[chunk->size - 1], end};
  }
  // Later chunks are shared as they are; only their running ends move.
  const std::uint32_t old_end = refs[last - 1].end;
  for (std::size_t c = last, o = first + parts; c < old.count; ++c, ++o) {
    refs[c].chunk->retain();
    out[o] = refs[c];
    out[o].end = refs[c].end - old_end + end;
  }
  PeerList result;
  result.spine_ = spine;
  return result;
}

}  // namespace ward::policy
