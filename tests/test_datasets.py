import torch

from tp1viz import datasets


def test_linear_matches_the_page_formula():
    generator = torch.Generator().manual_seed(3)
    x, y = datasets.make("linear", 3)
    # The page's recipe, drawn again from the same seed by hand.
    raw_x = torch.rand(100, 1, generator=generator) * 15
    raw_y = -1.0 * raw_x + 5 + torch.randn(100, 1, generator=generator) * 2
    assert x.shape == y.shape == (100, 1)
    torch.testing.assert_close(x, raw_x - raw_x.mean())
    torch.testing.assert_close(y, raw_y - raw_y.mean())


def test_linear_no_noise_is_the_exact_centred_line():
    x, y = datasets.make("linear_no_noise", 0)
    assert x.shape == (100, 1)
    assert abs(float(x.mean())) < 1e-5 and abs(float(y.mean())) < 1e-5
    assert float(x.max() - x.min()) < 15  # uniform on [0, 15), then centred
    torch.testing.assert_close(y, -x, atol=1e-5, rtol=0)  # y = -x + 5, centred, is y = -x


def test_linear_noise_has_std_two():
    x, y = datasets.make("linear", 0, n_data=20_000)
    residual = y + x  # what is left once the line is removed
    assert abs(float(residual.std()) - 2.0) < 0.05


def test_pow_is_a_centred_parabola_plus_uniform_noise():
    x, y = datasets.make("pow", 5)
    grid = torch.linspace(-1, 1, 100).unsqueeze(1)
    torch.testing.assert_close(x, grid - grid.mean())
    noise = y - x.pow(2)  # uniform noise of width 0.2, shifted by the centring constant
    assert float(noise.max() - noise.min()) <= 0.2
    assert float(noise.max() - noise.min()) > 0.15  # 100 uniform draws nearly fill the interval
    assert abs(float(y.mean())) < 1e-6


def test_seeded_and_independent_of_the_global_rng():
    torch.manual_seed(0)
    first = datasets.make("linear", 11)
    torch.manual_seed(12345)  # the global RNG must not matter
    second = datasets.make("linear", 11)
    other = datasets.make("linear", 12)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert not torch.equal(first[0], other[0])
