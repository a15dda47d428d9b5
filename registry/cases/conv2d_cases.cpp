// Registry entries for conv2d: every dilation the networks use (1, 2, 3 in the rHDC blocks; 6, 12,
// 18 in DeepLabv3+'s ASPP), stride 2, 1x1, odd channel counts, with and without bias, and a small
// two-conv network end to end (conv -> relu -> conv) so gradients are checked through a chain.
#include "engine/error.h"
#include "engine/ops.h"
#include "registry/op_registry.h"

namespace csgis::registry {
namespace {

OpCase conv_case(const std::string& name, Shape x, Shape w, bool bias, Conv2dParams p, double tol = 1e-4) {
  std::vector<Shape> shapes{x, w};
  if (bias) shapes.push_back({w[0]});
  OpCase c{"conv2d/" + name, shapes, nullptr, [p, bias](const std::vector<Tensor>& in) {
             return conv2d(in[0], in[1], bias ? in[2] : Tensor(), p);
           }};
  c.parity_tol = tol;
  // A user shape N,C,H,W: a square layer C -> C with this case's kernel and parameters.
  c.shapes_for = [w, bias](const Shape& u) {
    CSGIS_CHECK(u.size() == 4, "conv2d cases take --shape N,C,H,W");
    std::vector<Shape> s{u, {u[1], u[1], w[2], w[3]}};
    if (bias) s.push_back({u[1]});
    return s;
  };
  return c;
}

RegisterOps reg([](std::vector<OpCase>& c) {
  c.push_back(conv_case("3x3_d1", {2, 3, 7, 6}, {4, 3, 3, 3}, true, Conv2dParams::same(3, 1)));
  c.push_back(conv_case("3x3_d2", {1, 4, 9, 8}, {5, 4, 3, 3}, true, Conv2dParams::same(3, 2)));
  c.push_back(conv_case("3x3_d3_nobias", {2, 3, 8, 9}, {3, 3, 3, 3}, false, Conv2dParams::same(3, 3)));
  c.push_back(conv_case("3x3_d6", {1, 2, 13, 12}, {3, 2, 3, 3}, true, Conv2dParams::same(3, 6)));
  c.push_back(conv_case("3x3_d12", {1, 2, 15, 14}, {2, 2, 3, 3}, true, Conv2dParams::same(3, 12)));
  c.push_back(conv_case("3x3_d18", {1, 2, 20, 19}, {2, 2, 3, 3}, true, Conv2dParams::same(3, 18)));
  // ASPP on a feature map smaller than its dilation (DeepLabv3+ at small inputs): only the centre
  // tap reaches the image, the others read padding.
  c.push_back(conv_case("3x3_d12_small_input", {1, 3, 4, 5}, {2, 3, 3, 3}, false, Conv2dParams::same(3, 12)));
  c.push_back(conv_case("3x3_d36_small_input", {2, 4, 4, 4}, {3, 4, 3, 3}, false, Conv2dParams::same(3, 36)));
  c.push_back(conv_case("3x3_stride2_pad1", {2, 3, 9, 10}, {4, 3, 3, 3}, true, {2, 2, 1, 1, 1, 1}));
  c.push_back(conv_case("1x1", {2, 5, 4, 3}, {3, 5, 1, 1}, true, {}));
  c.push_back(conv_case("5x3_asym", {1, 2, 8, 7}, {3, 2, 5, 3}, true, {1, 2, 2, 0, 1, 2}));
  c.push_back(conv_case("to_one_channel", {1, 6, 5, 5}, {1, 6, 3, 3}, true, Conv2dParams::same(3, 1)));

  OpCase fused{"conv2d_relu/3x3_d2", {{1, 4, 9, 8}, {5, 4, 3, 3}, {5}}, nullptr, [](const std::vector<Tensor>& in) {
                 return conv2d_relu(in[0], in[1], in[2], Conv2dParams::same(3, 2));
               }};
  fused.parity_tol = 1e-4;
  c.push_back(fused);

  OpCase net{"net/two_conv_relu",
             {{2, 3, 8, 8}, {4, 3, 3, 3}, {4}, {3, 4, 3, 3}, {3}},
             [](int i, const Tensor& t) {
               // hidden bias far from 0 keeps most pre-activations away from relu's kink
               return i == 2 ? t * 3.0 : t;
             },
             [](const std::vector<Tensor>& in) {
               Tensor h = relu(conv2d(in[0], in[1], in[2], Conv2dParams::same(3, 2)));
               return conv2d(h, in[3], in[4], Conv2dParams::same(3, 1));
             }};
  net.parity_tol = 1e-4;
  net.grad_tol = 1e-4;
  c.push_back(net);
});

}  // namespace
}  // namespace csgis::registry
