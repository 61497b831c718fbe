// SPDX-License-Identifier: GPL-2.0-only

#include "minimize.hh"

#include <algorithm>
#include <numeric>

namespace xferfuzz {

std::vector<size_t> Minimize(size_t n, const std::function<bool(const std::vector<size_t>&)>& fails,
                             const std::function<bool()>& out_of_time) {
  std::vector<size_t> cur(n);
  std::iota(cur.begin(), cur.end(), 0);
  size_t chunks = 2;
  while (cur.size() >= 2 && !(out_of_time && out_of_time())) {
    const size_t len = cur.size();
    chunks = std::min(chunks, len);
    bool reduced = false;
    // Later chunks first: what comes after the failure's cause goes first.
    for (size_t c = chunks; c-- > 0;) {
      if (out_of_time && out_of_time()) break;
      const size_t begin = len * c / chunks, end = len * (c + 1) / chunks;
      std::vector<size_t> cand;
      cand.reserve(len - (end - begin));
      cand.insert(cand.end(), cur.begin(), cur.begin() + static_cast<ptrdiff_t>(begin));
      cand.insert(cand.end(), cur.begin() + static_cast<ptrdiff_t>(end), cur.end());
      if (fails(cand)) {
        cur = std::move(cand);
        chunks = std::max<size_t>(chunks - 1, 2);
        reduced = true;
        break;
      }
    }
    if (reduced) continue;
    if (chunks >= len) break;
    chunks = std::min(chunks * 2, len);
  }
  return cur;
}

}  // namespace xferfuzz
