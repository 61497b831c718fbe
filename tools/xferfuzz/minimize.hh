// SPDX-License-Identifier: GPL-2.0-only
//
// Delta debugging (ddmin, complements only): the smallest subsequence of a
// failing operation list that still fails, found by replaying candidates.

#ifndef XFERBLK_TOOLS_XFERFUZZ_MINIMIZE_HH_
#define XFERBLK_TOOLS_XFERFUZZ_MINIMIZE_HH_

#include <cstddef>
#include <functional>
#include <vector>

namespace xferfuzz {

// The items [0, n) are a failing input. Returns the indices (ascending) of
// a subset for which `fails` holds, 1-minimal (no single item can be left
// out) unless `out_of_time` stopped the search first; `fails` is asked only
// about proper subsets. With `fails` deterministic, so is the result.
std::vector<size_t> Minimize(size_t n, const std::function<bool(const std::vector<size_t>&)>& fails,
                             const std::function<bool()>& out_of_time);

}  // namespace xferfuzz

#endif  // XFERBLK_TOOLS_XFERFUZZ_MINIMIZE_HH_
