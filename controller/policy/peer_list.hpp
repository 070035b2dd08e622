// Peer entries of a netmap and PeerList, the immutable sorted list of them that netmap
// versions share.
//
// Why a chunked persistent list: a change to a device that everybody peers with (an IT
// laptop in a hospital is a peer of every device) yields a new netmap for every device,
// each differing from its previous version in one entry. With a value vector every new
// version copied all of its entries (1.14 M shared_ptr entries across the benchmark's 10k
// netmaps; perf put a third of such a change in that copy and in freeing the old one).
// Here a list is a refcounted spine of refcounted immutable chunks of about sqrt(n)
// (at least 16) entries: copying a list copies one pointer; replacing, inserting or
// erasing one entry copies the spine (n / chunk references) and one chunk, O(sqrt(n))
// instead of O(n); untouched chunks stay shared between versions, which saves memory and
// lets diff()/same_content() skip them by identity. Whole-list interning would not help
// (every list changes); a deeper tree would save little at a few thousand peers.
// Layout choices from profiling: a chunk is one allocation (header, id keys, entries) and
// a spine one allocation, so a lookup is three dependent loads (spine, chunk keys, entry);
// each chunk caches the first 8 bytes of every id as an integer, so a search compares
// integers and reads an id only on a tie; spliced() prefetches the chunk headers whose
// counts it bumps (a locked increment per cache miss otherwise serialises them).
//
// Contracts:
// - A PeerList never changes once built; copies share everything and are safe to read
//   from any thread. Edits return a new list and leave the old one valid.
// - Entries are kept in the order they are given (the compiler keeps them sorted by id,
//   unique); lower_bound()/find() rely on that order.
// - Iterators and references stay valid while any PeerList sharing the chunk lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/ip.hpp"

namespace ward::policy {

// inbound: the peer may send to this device; outbound: this device may send to the peer.
enum class Direction : std::uint8_t { kInbound = 0, kOutbound = 1 };

// Why something is in a netmap: the rule (index into Policy::rules) and direction.
struct Provenance {
  std::uint32_t rule = 0;
  Direction direction = Direction::kInbound;
  friend bool operator==(const Provenance&, const Provenance&) = default;
  friend auto operator<=>(const Provenance&, const Provenance&) = default;
};

// A short list of provenances; up to two live inline so copying an entry rarely
// allocates. 24 bytes: the inline slots share storage with the heap pointer.
class ProvenanceList {
 public:
  ProvenanceList() = default;
  ProvenanceList(const ProvenanceList& other) : size_(other.size_) {
    if (size_ <= kInline)
      u_ = other.u_;
    else
      copy_heap(other);
  }
  ProvenanceList(ProvenanceList&& other) noexcept : u_(other.u_), size_(other.size_) {
    other.size_ = 0;
  }
  ProvenanceList& operator=(const ProvenanceList& other);
  ProvenanceList& operator=(ProvenanceList&& other) noexcept;
  ~ProvenanceList() {
    if (size_ > kInline) delete[] u_.heap.data;
  }

  void push_back(Provenance p);
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Provenance& operator[](std::size_t i) const {
    return size_ <= kInline ? u_.inline_[i] : u_.heap.data[i];
  }
  friend bool operator==(const ProvenanceList& a, const ProvenanceList& b);

 private:
  static constexpr std::size_t kInline = 2;
  void copy_heap(const ProvenanceList& other);
  struct Heap {
    Provenance* data;  // owned; all size_ entries when size_ > kInline
    std::uint32_t capacity;
  };
  union Storage {
    Provenance inline_[kInline];  // used while size_ <= kInline
    Heap heap;
    Storage() : inline_{} {}
  };
  Storage u_;
  std::uint32_t size_ = 0;
};

struct PeerInfo {
  std::string id;
  std::string name;
  std::string user;
  std::vector<std::string> tags;
  std::string public_key;
  std::vector<net::Prefix> allowed_ips;  // the peer's overlay addresses
  std::vector<std::string> endpoints;
  std::uint32_t slot = 0;  // compiler-internal identity; not part of the content
  std::uint64_t hash = 0;  // of the fields above except slot

  bool same_content(const PeerInfo& other) const;
};

struct PeerEntry {
  std::shared_ptr<const PeerInfo> info;
  ProvenanceList why;
};

class PeerList {
  struct Chunk;  // refcounted; one allocation: header, keys[size], entries[size]
  struct Spine;  // refcounted; one allocation: header, ChunkRef[count]
  struct ChunkRef {
    Chunk* chunk = nullptr;      // holds one reference
    std::uint64_t last_key = 0;  // id key of the chunk's last entry
    std::uint32_t end = 0;       // entries in this chunk and all before it
  };

 public:
  // Forward iteration in order; also the cursor diff()-style walks use to skip chunks two
  // lists share (at_chunk_start() on both, same chunk(): skip_chunk() on both).
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = PeerEntry;
    using difference_type = std::ptrdiff_t;
    using pointer = const PeerEntry*;
    using reference = const PeerEntry&;

    const_iterator() = default;
    reference operator*() const { return *cur_; }
    pointer operator->() const { return cur_; }
    const_iterator& operator++() {
      if (++cur_ == chunk_end_) next_chunk(c_ + 1);
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.cur_ == b.cur_;
    }
    // True at the first entry of a chunk; chunk() is then that chunk's identity.
    bool at_chunk_start() const { return cur_ && cur_ == chunk_begin_; }
    const void* chunk() const { return chunk_begin_; }
    // Advances past the rest of the current chunk.
    void skip_chunk() { next_chunk(c_ + 1); }

   private:
    friend class PeerList;
    void next_chunk(std::size_t c);
    const Spine* spine_ = nullptr;
    std::size_t c_ = 0;
    const PeerEntry* cur_ = nullptr;  // nullptr at end
    const PeerEntry* chunk_begin_ = nullptr;
    const PeerEntry* chunk_end_ = nullptr;
  };
  using iterator = const_iterator;
  using value_type = PeerEntry;

  PeerList() = default;
  // Entries in their final order (sorted by id for a netmap).
  explicit PeerList(std::vector<PeerEntry> entries);
  PeerList(const PeerList& other) noexcept;
  PeerList(PeerList&& other) noexcept : spine_(other.spine_) { other.spine_ = nullptr; }
  PeerList& operator=(const PeerList& other) noexcept;
  PeerList& operator=(PeerList&& other) noexcept;
  ~PeerList();

  std::size_t size() const;
  bool empty() const { return spine_ == nullptr; }
  // O(log chunks); iterate for walks.
  const PeerEntry& operator[](std::size_t i) const;
  const_iterator begin() const;
  const_iterator end() const { return {}; }

  // Index of the first entry whose info->id is not less than id (size() if none); with
  // `at`, also that entry (nullptr if none). Searches cached id prefixes, so it touches
  // few entries.
  std::size_t lower_bound(std::string_view id, const PeerEntry** at = nullptr) const;
  // The entry with this id, or nullptr.
  const PeerEntry* find(std::string_view id) const;

  // A new list: this one with `erase` (0 or 1) entries at index pos removed and `insert`
  // (if non-null) put at pos. pos <= size(); the caller keeps the order.
  PeerList spliced(std::size_t pos, std::size_t erase, const PeerEntry* insert) const;

  // True if both lists are the same object (and so equal).
  bool same_object(const PeerList& other) const { return spine_ == other.spine_; }
  std::size_t chunk_count() const;
  // Hints the CPU to fetch the list's index, and (once that is cached) its chunks'
  // headers: for loops that edit many netmaps' lists.
  void prefetch() const { __builtin_prefetch(spine_); }
  void prefetch_chunks() const;

 private:
  static Chunk* make_chunk(std::size_t n);
  std::size_t chunk_of(std::size_t i) const;  // index of the chunk holding entry i
  Spine* spine_ = nullptr;                    // holds one reference; null when empty
};

}  // namespace ward::policy
