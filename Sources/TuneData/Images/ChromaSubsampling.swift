/// How much colour resolution JPEG encoding keeps for RGB images (grayscale images have no chroma to subsample).
public enum ChromaSubsampling: String, Sendable, CaseIterable {
    /// Full colour resolution (4:4:4): the largest files, the most faithful colours.
    case none
    /// Half horizontal colour resolution (4:2:2).
    case half
    /// Half horizontal and half vertical colour resolution (4:2:0), the usual choice for photographs
    /// and what PIL writes by default.
    case quarter
}
