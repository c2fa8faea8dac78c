//===- Agreement.h - every rank runs the same job ---------------*- C++ -*-===//
//
// This file declares the check that the ranks of a job agree, before any
// compute, on what they run: the model, the weights, the inputs. Each rank
// has its own command line (mpirun's MPMD syntax gives each its own, and
// nodes may see different files under one name), and ranks that loaded
// different checkpoints would mix their weights silently, while ranks
// benchmarking different step counts would wait for each other forever.
//
// Each rank reduces what it holds of one such thing to a fingerprint, a
// 64-bit key and a description; the ranks exchange the keys, and where a
// key differs from rank 0's, every rank fails with a message naming the
// ranks that differ and what each holds.
//
//===----------------------------------------------------------------------===//

#ifndef TPRT_SRC_AGREEMENT_H
#define TPRT_SRC_AGREEMENT_H

#include "Context.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace tprt {

/// What one rank holds of one thing all ranks must agree on.
struct Fingerprint {
  /// Equal on two ranks when they hold the same thing, and (but for hash
  /// collisions) only then.
  uint64_t key;
  /// The thing as messages name it: "checkpoint 'w.safetensors' (1240
  /// bytes)", "--bench 3".
  std::string description;
};

/// The fingerprint of a file of `size` bytes described by `description`
/// and identified by `identifying`, the part of it that tells such files
/// apart (a checkpoint's header, an input's whole contents).
Fingerprint fileFingerprint(std::string description, uint64_t size,
                            std::string_view identifying);

/// The fingerprint of a setting that `description` states in full, such as
/// "--bench 3".
Fingerprint settingFingerprint(std::string description);

/// Fails on every rank unless every rank's `mine.key` equals rank 0's, e.g.
/// "ranks 1 and 3 use checkpoint 'b.safetensors' (1234 bytes), which differs
/// from rank 0's checkpoint 'a.safetensors' (1240 bytes)". Collective: every
/// rank calls it for the same things in the same order.
void checkRanksAgree(const tprt_context &ctx, const Fingerprint &mine);

} // namespace tprt

#endif // TPRT_SRC_AGREEMENT_H
