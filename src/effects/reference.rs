//! CPU images for the stages' reference implementations: the same math as the shaders, in f32,
//! sampling the way a GPU does (texel centres at +0.5, bilinear, clamped to the edge).

/// One channel (a mask), row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    pub width: u32,
    pub height: u32,
    pub data: Vec<f32>,
}

/// Gamma-encoded RGB in [0, 1], row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub data: Vec<[f32; 3]>,
}

/// Bilinear taps for coordinate `u` (0..1) over `size` texels: two indices and the second's weight.
fn taps(u: f32, size: u32) -> (usize, usize, f32) {
    let x = u * size as f32 - 0.5;
    let first = x.floor();
    let weight = x - first;
    let clamp = |i: f32| i.clamp(0.0, (size - 1) as f32) as usize;
    (clamp(first), clamp(first + 1.0), weight)
}

impl Plane {
    pub fn new(width: u32, height: u32, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), width as usize * height as usize);
        Self {
            width,
            height,
            data,
        }
    }

    pub fn at(&self, x: u32, y: u32) -> f32 {
        self.data[y as usize * self.width as usize + x as usize]
    }

    /// Bilinear sample at normalised coordinates, clamped to the edge.
    pub fn sample(&self, u: f32, v: f32) -> f32 {
        let (x0, x1, fx) = taps(u, self.width);
        let (y0, y1, fy) = taps(v, self.height);
        let w = self.width as usize;
        let get = |x: usize, y: usize| self.data[y * w + x];
        let top = get(x0, y0) + (get(x1, y0) - get(x0, y0)) * fx;
        let bottom = get(x0, y1) + (get(x1, y1) - get(x0, y1)) * fx;
        top + (bottom - top) * fy
    }
}

impl Picture {
    /// From RGBA8 pixels (alpha dropped).
    pub fn from_rgba8(rgba: &[u8], width: u32, height: u32) -> Self {
        let data = rgba
            .chunks_exact(4)
            .map(|p| {
                [
                    p[0] as f32 / 255.0,
                    p[1] as f32 / 255.0,
                    p[2] as f32 / 255.0,
                ]
            })
            .collect();
        Self {
            width,
            height,
            data,
        }
    }

    /// To RGBA8 (alpha 255), rounding.
    pub fn to_rgba8(&self) -> Vec<u8> {
        self.data
            .iter()
            .flat_map(|p| {
                let q = |c: f32| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
                [q(p[0]), q(p[1]), q(p[2]), 255]
            })
            .collect()
    }

    pub fn at(&self, x: u32, y: u32) -> [f32; 3] {
        self.data[y as usize * self.width as usize + x as usize]
    }

    /// Bilinear sample at normalised coordinates, clamped to the edge.
    pub fn sample(&self, u: f32, v: f32) -> [f32; 3] {
        let (x0, x1, fx) = taps(u, self.width);
        let (y0, y1, fy) = taps(v, self.height);
        let w = self.width as usize;
        let get = |x: usize, y: usize| self.data[y * w + x];
        let mut out = [0.0; 3];
        for (c, value) in out.iter_mut().enumerate() {
            let top = get(x0, y0)[c] + (get(x1, y0)[c] - get(x0, y0)[c]) * fx;
            let bottom = get(x0, y1)[c] + (get(x1, y1)[c] - get(x0, y1)[c]) * fx;
            *value = top + (bottom - top) * fy;
        }
        out
    }
}

/// Four channels (an `Rgba16Float` texture of the chain: the frame at the mask's grid with the
/// mask, guided-filter coefficients, premultiplied blur levels), row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub data: Vec<[f32; 4]>,
}

impl Rgba {
    pub fn new(width: u32, height: u32, data: Vec<[f32; 4]>) -> Self {
        assert_eq!(data.len(), width as usize * height as usize);
        Self {
            width,
            height,
            data,
        }
    }

    pub fn at(&self, x: u32, y: u32) -> [f32; 4] {
        self.data[y as usize * self.width as usize + x as usize]
    }

    /// The texel at integer coordinates clamped to the edge (a shader's clamped `textureLoad`).
    pub fn clamped(&self, x: i32, y: i32) -> [f32; 4] {
        let x = x.clamp(0, self.width as i32 - 1) as u32;
        let y = y.clamp(0, self.height as i32 - 1) as u32;
        self.at(x, y)
    }

    /// Bilinear sample at normalised coordinates, clamped to the edge.
    pub fn sample(&self, u: f32, v: f32) -> [f32; 4] {
        let (x0, x1, fx) = taps(u, self.width);
        let (y0, y1, fy) = taps(v, self.height);
        let w = self.width as usize;
        let get = |x: usize, y: usize| self.data[y * w + x];
        let mut out = [0.0; 4];
        for (c, value) in out.iter_mut().enumerate() {
            let top = get(x0, y0)[c] + (get(x1, y0)[c] - get(x0, y0)[c]) * fx;
            let bottom = get(x0, y1)[c] + (get(x1, y1)[c] - get(x0, y1)[c]) * fx;
            *value = top + (bottom - top) * fy;
        }
        out
    }

    /// A bilinear sample with nothing outside the texture: the part of the bilinear footprint
    /// that lies inside, times the clamped sample (`sample_or_zero` in `shaders/chain.wgsl`).
    pub fn sample_or_zero(&self, u: f32, v: f32) -> [f32; 4] {
        let share = inside_share(u, v, self.width, self.height);
        self.sample(u, v).map(|c| c * share)
    }

    /// The fourth channel as a plane.
    pub fn alpha(&self) -> Plane {
        Plane::new(
            self.width,
            self.height,
            self.data.iter().map(|t| t[3]).collect(),
        )
    }

    /// The values as a 16-bit float texture stores them.
    pub fn stored(mut self) -> Self {
        for texel in &mut self.data {
            *texel = texel.map(f16);
        }
        self
    }
}

/// How much of a bilinear sample's footprint at (u, v) lies inside a `width`×`height` texture.
pub fn inside_share(u: f32, v: f32, width: u32, height: u32) -> f32 {
    let inside = |t: f32, size: u32| {
        let x = t * size as f32;
        (x + 0.5).clamp(0.0, 1.0) * (size as f32 + 0.5 - x).clamp(0.0, 1.0)
    };
    inside(u, width) * inside(v, height)
}

/// `value` rounded to the nearest half float: what an `R16Float`/`Rgba16Float` texture keeps.
pub fn f16(value: f32) -> f32 {
    half::f16::from_f32(value).to_f32()
}

/// Texture coordinate of pixel `i`'s centre in a `size`-pixel image.
pub fn centre(i: u32, size: u32) -> f32 {
    (i as f32 + 0.5) / size as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_at_texel_centres_returns_texels() {
        let plane = Plane::new(3, 2, vec![0.0, 0.5, 1.0, 0.25, 0.75, 0.125]);
        for y in 0..2 {
            for x in 0..3 {
                assert_eq!(plane.sample(centre(x, 3), centre(y, 2)), plane.at(x, y));
            }
        }
        // Halfway between two texels: their mean; beyond the edge: the edge.
        assert!((plane.sample(1.0 / 3.0, centre(0, 2)) - 0.25).abs() < 1e-6);
        assert_eq!(plane.sample(-1.0, -1.0), 0.0);
    }
}
