//===- Agreement.cpp - every rank runs the same job -----------------------===//
//
// This file implements the ranks' agreement check: one MPI_Allgather of the
// 64-bit keys when the ranks agree, and of the descriptions too when they do
// not, so that every rank can name every rank that differs.
//
//===----------------------------------------------------------------------===//

#include "Agreement.h"
#include "Random.h"

#include <map>
#include <vector>

namespace tprt {

Fingerprint fileFingerprint(std::string description, uint64_t size,
                            std::string_view identifying) {
  return {fnv1a64(identifying.data(), identifying.size()) ^ mix64(size),
          std::move(description)};
}

Fingerprint settingFingerprint(std::string description) {
  uint64_t key = fnv1a64(description.data(), description.size());
  return {key, std::move(description)};
}

/// Every rank's `text`, by rank.
static std::vector<std::string> gatherTexts(const tprt_context &ctx,
                                            const std::string &text) {
  int length = static_cast<int>(text.size());
  std::vector<int> lengths(ctx.size), offsets(ctx.size);
  MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT,
                MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < ctx.size; ++r) {
    offsets[r] = total;
    total += lengths[r];
  }
  std::string all(total, '\0');
  MPI_Allgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(),
                 offsets.data(), MPI_CHAR, MPI_COMM_WORLD);
  std::vector<std::string> texts;
  for (int r = 0; r < ctx.size; ++r)
    texts.push_back(all.substr(offsets[r], lengths[r]));
  return texts;
}

/// "rank 1 uses", "ranks 1 and 3 use", "ranks 1, 2 and 3 use".
static std::string ranksUse(const std::vector<int> &ranks) {
  std::string text = ranks.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < ranks.size(); ++i)
    text += (i == 0                  ? ""
             : i + 1 == ranks.size() ? " and "
                                     : ", ") +
            std::to_string(ranks[i]);
  return text + (ranks.size() == 1 ? " uses " : " use ");
}

void checkRanksAgree(const tprt_context &ctx, const Fingerprint &mine) {
  std::vector<uint64_t> keys(ctx.size);
  MPI_Allgather(&mine.key, 1, MPI_UINT64_T, keys.data(), 1, MPI_UINT64_T,
                MPI_COMM_WORLD);
  // The ranks that differ from rank 0, grouped by what they hold, in the
  // order of their first rank.
  std::vector<uint64_t> order;
  std::map<uint64_t, std::vector<int>> groups;
  for (int r = 1; r < ctx.size; ++r) {
    if (keys[r] == keys[0])
      continue;
    std::vector<int> &group = groups[keys[r]];
    if (group.empty())
      order.push_back(keys[r]);
    group.push_back(r);
  }
  if (order.empty())
    return;
  std::vector<std::string> descriptions = gatherTexts(ctx, mine.description);
  std::string message;
  for (uint64_t key : order) {
    const std::vector<int> &group = groups[key];
    const std::string &theirs = descriptions[group.front()];
    message += (message.empty() ? "" : "; ") + ranksUse(group) + theirs +
               (theirs == descriptions[0]
                    ? " whose contents differ from rank 0's"
                    : ", which differs from rank 0's " + descriptions[0]);
  }
  fail(&ctx, message);
}

} // namespace tprt
