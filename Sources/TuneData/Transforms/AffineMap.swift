import Foundation

/// A 2-D affine map `(x, y) ↦ (xx·x + xy·y + tx, yx·x + yy·y + ty)`, in `Double` so that composing several
/// transforms adds no visible rounding.
struct AffineMap: Equatable {
    var xx: Double, xy: Double, tx: Double
    var yx: Double, yy: Double, ty: Double

    static let identity = AffineMap(xx: 1, xy: 0, tx: 0, yx: 0, yy: 1, ty: 0)

    static func translation(_ dx: Double, _ dy: Double) -> AffineMap {
        AffineMap(xx: 1, xy: 0, tx: dx, yx: 0, yy: 1, ty: dy)
    }

    static func scale(_ sx: Double, _ sy: Double) -> AffineMap {
        AffineMap(xx: sx, xy: 0, tx: 0, yx: 0, yy: sy, ty: 0)
    }

    /// The linear map `[[cos, −sin], [sin, cos]]`.
    static func rotation(cos c: Double, sin s: Double) -> AffineMap {
        AffineMap(xx: c, xy: -s, tx: 0, yx: s, yy: c, ty: 0)
    }

    /// `other` applied after `self`: `(self.then(other))(p) == other(self(p))`.
    func then(_ other: AffineMap) -> AffineMap {
        AffineMap(xx: other.xx * xx + other.xy * yx, xy: other.xx * xy + other.xy * yy,
                  tx: other.xx * tx + other.xy * ty + other.tx,
                  yx: other.yx * xx + other.yy * yx, yy: other.yx * xy + other.yy * yy,
                  ty: other.yx * tx + other.yy * ty + other.ty)
    }

    func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (xx * x + xy * y + tx, yx * x + yy * y + ty)
    }

    /// Whether x depends only on x and y only on y (no rotation or shear), up to rounding.
    var isAxisAligned: Bool {
        let tolerance = 1e-9 * max(abs(xx), abs(yy), 1e-300)
        return abs(xy) <= tolerance && abs(yx) <= tolerance
    }

    /// Whether every coefficient is finite.
    var isFinite: Bool { [xx, xy, tx, yx, yy, ty].allSatisfy(\.isFinite) }
}
