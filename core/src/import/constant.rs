//! ONNX initializers as tract tensors, for the element types dram's graphs hold (f32 weights,
//! f16 tables of the Core ML export, i64 axes and indices, i8/u8/i32 quantized weights, zero
//! points and biases), read from
//! `raw_data` (little-endian) or from the typed fields, as the ONNX spec stores them.

use tract_core::internal::*;

use crate::onnx_proto::tensor_proto::{DataLocation, DataType};
use crate::onnx_proto::TensorProto;
use super::{Import, Unsupported};

/// The ONNX element type code `code` as a tract datum type, if the direct import handles it.
pub(crate) fn datum_type(code: i32) -> Option<DatumType> {
    Some(match DataType::try_from(code).ok()? {
        DataType::Float => DatumType::F32,
        DataType::Int64 => DatumType::I64,
        DataType::Int32 => DatumType::I32,
        DataType::Int8 => DatumType::I8,
        DataType::Uint8 => DatumType::U8,
        DataType::Float16 => DatumType::F16,
        _ => return None,
    })
}

/// The tensor an initializer holds.
pub(crate) fn tensor(proto: &TensorProto) -> Import<Tensor> {
    let unsupported = |what: String| Unsupported::new(format!("initializer `{}`: {what}", proto.name));
    if proto.data_location == Some(DataLocation::External as i32) || !proto.external_data.is_empty() {
        return Err(unsupported("external data".into()));
    }
    if proto.segment.is_some() {
        return Err(unsupported("a segment".into()));
    }
    let dt = datum_type(proto.data_type).ok_or_else(|| unsupported(format!("element type {}", proto.data_type)))?;
    let shape = proto
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| unsupported(format!("dimension {d}"))))
        .collect::<Import<Vec<usize>>>()?;
    if !proto.raw_data.is_empty() {
        return from_le_bytes(dt, &shape, &proto.raw_data).map_err(|e| unsupported(e.reason));
    }
    let built = match dt {
        DatumType::F32 => Tensor::from_shape(&shape, &proto.float_data),
        DatumType::I64 => Tensor::from_shape(&shape, &proto.int64_data),
        DatumType::I32 => Tensor::from_shape(&shape, &proto.int32_data),
        DatumType::I8 => Tensor::from_shape(&shape, &proto.int32_data.iter().map(|&v| v as i8).collect::<Vec<_>>()),
        DatumType::F16 => Tensor::from_shape(&shape, &proto.int32_data.iter().map(|&v| f16::from_bits(v as u16)).collect::<Vec<_>>()),
        _ => Tensor::from_shape(&shape, &proto.int32_data.iter().map(|&v| v as u8).collect::<Vec<_>>()),
    };
    built.map_err(|e| unsupported(format!("{e:#}")))
}

/// A tensor of `dt` holding `raw`, ONNX's little-endian bytes: one copy into the tensor's
/// storage (an element-by-element decode was ~7 instructions a weight, most of the load time
/// of a file with large embedding tables), bytes swapped in place on big-endian targets.
fn from_le_bytes(dt: DatumType, shape: &[usize], raw: &[u8]) -> Import<Tensor> {
    let mut tensor = Tensor::zero_dt(dt, shape).map_err(|e| Unsupported::new(format!("{e:#}")))?;
    let bytes = tensor.as_bytes_mut();
    if bytes.len() != raw.len() {
        return Err(Unsupported::new(format!("{} bytes of raw data for {} expected", raw.len(), bytes.len())));
    }
    bytes.copy_from_slice(raw);
    if cfg!(target_endian = "big") {
        bytes.chunks_exact_mut(dt.size_of()).for_each(<[u8]>::reverse);
    }
    Ok(tensor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto(data_type: DataType, dims: Vec<i64>) -> TensorProto {
        TensorProto { name: "t".into(), data_type: data_type as i32, dims, ..Default::default() }
    }

    #[test]
    fn raw_and_typed_fields_give_the_same_tensor() {
        let raw = TensorProto { raw_data: [1.5f32, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect(), ..proto(DataType::Float, vec![2]) };
        let typed = TensorProto { float_data: vec![1.5, -2.0], ..proto(DataType::Float, vec![2]) };
        assert_eq!(tensor(&raw).unwrap(), tensor(&typed).unwrap());
        assert_eq!(tensor(&raw).unwrap(), tensor1(&[1.5f32, -2.0]));
        let int8 = TensorProto { int32_data: vec![-3, 127], ..proto(DataType::Int8, vec![1, 2]) };
        assert_eq!(tensor(&int8).unwrap(), tensor2(&[[-3i8, 127]]));
        let raw8 = TensorProto { raw_data: vec![0xfd, 0x7f], ..proto(DataType::Int8, vec![1, 2]) };
        assert_eq!(tensor(&raw8).unwrap(), tensor2(&[[-3i8, 127]]));
        let axes = TensorProto { raw_data: (-1i64).to_le_bytes().to_vec(), ..proto(DataType::Int64, vec![1]) };
        assert_eq!(tensor(&axes).unwrap(), tensor1(&[-1i64]));
        let half = TensorProto { raw_data: f16::from_f32(-0.5).to_bits().to_le_bytes().to_vec(), ..proto(DataType::Float16, vec![1]) };
        assert_eq!(tensor(&half).unwrap(), tensor1(&[f16::from_f32(-0.5)]));
        let scalar = TensorProto { int32_data: vec![7], ..proto(DataType::Int32, vec![]) };
        assert_eq!(tensor(&scalar).unwrap(), tensor0(7i32));
    }

    #[test]
    fn what_it_cannot_read_is_unsupported_not_a_panic() {
        let short = TensorProto { raw_data: vec![0; 6], ..proto(DataType::Float, vec![2]) };
        assert!(tensor(&short).is_err());
        let wrong_len = TensorProto { float_data: vec![1.0], ..proto(DataType::Float, vec![2]) };
        assert!(tensor(&wrong_len).is_err());
        assert!(tensor(&proto(DataType::Double, vec![0])).is_err());
        assert!(tensor(&proto(DataType::Float, vec![-1])).is_err());
        let external = TensorProto { data_location: Some(DataLocation::External as i32), ..proto(DataType::Float, vec![0]) };
        assert!(tensor(&external).is_err());
    }
}
