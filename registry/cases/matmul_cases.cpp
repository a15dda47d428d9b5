// Registry entries for matmul / bmm: odd sizes, every transpose combination, transposed and
// column-sliced views (read in place through gemm's flags and leading dimension), and a product
// spanning several 64x64 tiles with ragged edges for the tiled SIMT kernel.
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back({"matmul/odd", {{5, 7}, {7, 3}}, nullptr, [](auto& x) { return matmul(x[0], x[1]); }});
  c.push_back({"matmul/vector_like", {{1, 9}, {9, 1}}, nullptr, [](auto& x) { return matmul(x[0], x[1]); }});
  c.push_back({"matmul/trans_a", {{7, 5}, {7, 3}}, nullptr, [](auto& x) { return matmul(x[0], x[1], true, false); }});
  c.push_back({"matmul/trans_b", {{5, 7}, {3, 7}}, nullptr, [](auto& x) { return matmul(x[0], x[1], false, true); }});
  c.push_back({"matmul/trans_both", {{7, 5}, {3, 7}}, nullptr,
               [](auto& x) { return matmul(x[0], x[1], true, true); }});
  // A transposed view handed over as is, combined with a flag: op(a^T)^T = a.
  c.push_back({"matmul/transposed_views", {{6, 4}, {5, 4}}, nullptr,
               [](auto& x) { return matmul(x[0].transpose(0, 1), x[1].transpose(0, 1), true, false); }});
  // Column slices: row stride larger than the row length (lda > K).
  c.push_back({"matmul/sliced_columns", {{4, 9}, {9, 5}}, nullptr,
               [](auto& x) { return matmul(x[0].slice(1, 2, 8), x[1].slice(0, 1, 7)); }});
  // Neither layout gemm can read (every other column): copied first.
  c.push_back({"matmul/strided_copy", {{3, 10}, {5, 4}}, nullptr,
               [](auto& x) { return matmul(x[0].slice(1, 0, 10, 2), x[1]); }});
  OpCase big{"matmul/multi_tile", {{70, 33}, {33, 67}}, nullptr, [](auto& x) { return matmul(x[0], x[1]); }};
  big.parity_tol = 1e-4;  // 33-term float sums in a different order than OpenBLAS
  c.push_back(big);
  OpCase big_t{"matmul/multi_tile_trans", {{17, 66}, {65, 17}}, nullptr,
               [](auto& x) { return matmul(x[0], x[1], true, true); }};
  big_t.parity_tol = 1e-4;
  c.push_back(big_t);

  c.push_back({"bmm/odd", {{3, 5, 7}, {3, 7, 4}}, nullptr, [](auto& x) { return bmm(x[0], x[1]); }});
  c.push_back({"bmm/trans_a", {{2, 7, 5}, {2, 7, 3}}, nullptr, [](auto& x) { return bmm(x[0], x[1], true, false); }});
  c.push_back({"bmm/trans_b", {{2, 5, 7}, {2, 3, 7}}, nullptr, [](auto& x) { return bmm(x[0], x[1], false, true); }});
  c.push_back({"bmm/transposed_view", {{4, 5, 6}, {4, 5, 3}}, nullptr,
               [](auto& x) { return bmm(x[1].transpose(1, 2), x[0]); }});
  // A batch view whose matrices are not packed (batch stride != M*K): a slice along dim 1.
  c.push_back({"bmm/batch_stride", {{3, 8, 4}, {3, 4, 2}}, nullptr,
               [](auto& x) { return bmm(x[0].slice(1, 1, 6), x[1]); }});
  // Single batch entry: batch stride unused.
  c.push_back({"bmm/batch1", {{1, 4, 3}, {1, 3, 6}}, nullptr, [](auto& x) { return bmm(x[0], x[1], false, false); }});
});

}  // namespace
}  // namespace csgis::registry
