//! `QuantizeLinear` with one constant scale and zero point, as tract-core's element-wise
//! `QuantizeLinearI8`/`U8` (which hold the reciprocal of the scale, as tract-onnx sets them).

use tract_core::internal::*;
use tract_core::ops::quant::{quantize_linear_i8, quantize_linear_u8};

use crate::format::onnx::NodeProto;
use super::{attr, Builder, Import, Unsupported};

/// `QuantizeLinear(x, scale[, zero_point])` per tensor; per-axis scales are left to tract-onnx.
pub(crate) fn quantize_linear(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &["axis"])?;
    attr::arity(node, inputs.len(), 2, 3)?;
    let unsupported = |what: &str| Unsupported::new(format!("QuantizeLinear node `{}`: {what}", node.name));
    let input = b.fact(inputs[0])?.datum_type;
    if !matches!(input, DatumType::F32 | DatumType::I32) {
        return Err(unsupported(&format!("input of {input:?}")));
    }
    let scale = b.konst(inputs[1])?.ok_or_else(|| unsupported("a computed scale"))?;
    let scale = match (scale.len(), scale.try_as_plain_ram().and_then(|r| r.as_slice::<f32>().map(|s| s.to_vec()))) {
        (1, Ok(values)) => values[0],
        _ => return Err(unsupported("a scale that is not one f32")),
    };
    let zero_point = match inputs.get(2) {
        Some(zp) => b.konst(*zp)?.ok_or_else(|| unsupported("a computed zero point"))?,
        None => rctensor0(0u8),
    };
    if zero_point.len() != 1 {
        return Err(unsupported("a zero point that is not one value"));
    }
    let ram = zero_point.try_as_plain_ram().map_err(|e| unsupported(&format!("{e:#}")))?;
    let op: Box<dyn TypedOp> = match zero_point.datum_type() {
        DatumType::I8 => Box::new(quantize_linear_i8(scale.recip(), ram.as_slice::<i8>().map_err(|e| unsupported(&format!("{e:#}")))?[0])),
        DatumType::U8 => Box::new(quantize_linear_u8(scale.recip(), ram.as_slice::<u8>().map_err(|e| unsupported(&format!("{e:#}")))?[0])),
        other => return Err(unsupported(&format!("a zero point of {other:?}"))),
    };
    b.wire(node, name, op, &inputs[..1])
}
