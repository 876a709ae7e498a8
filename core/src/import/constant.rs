//! ONNX initializers as tract tensors, for the element types dram's graphs hold (f32 weights,
//! f16 tables of the Core ML export, i64 axes and indices, i8/u8/i32 quantized weights, zero
//! points and biases), read from
//! `raw_data` (little-endian) or from the typed fields, as the ONNX spec stores them.

use tract_core::internal::*;
use tract_onnx::pb::tensor_proto::{DataLocation, DataType};
use tract_onnx::pb::TensorProto;

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
    let raw = &proto.raw_data;
    let built = if !raw.is_empty() {
        match dt {
            DatumType::F32 => Tensor::from_shape(&shape, &le::<4, f32>(raw, f32::from_le_bytes)?),
            DatumType::I64 => Tensor::from_shape(&shape, &le::<8, i64>(raw, i64::from_le_bytes)?),
            DatumType::I32 => Tensor::from_shape(&shape, &le::<4, i32>(raw, i32::from_le_bytes)?),
            DatumType::I8 => Tensor::from_shape(&shape, &le::<1, i8>(raw, i8::from_le_bytes)?),
            DatumType::F16 => Tensor::from_shape(&shape, &le::<2, f16>(raw, |b| f16::from_bits(u16::from_le_bytes(b)))?),
            _ => Tensor::from_shape(&shape, raw.as_slice()),
        }
    } else {
        match dt {
            DatumType::F32 => Tensor::from_shape(&shape, &proto.float_data),
            DatumType::I64 => Tensor::from_shape(&shape, &proto.int64_data),
            DatumType::I32 => Tensor::from_shape(&shape, &proto.int32_data),
            DatumType::I8 => Tensor::from_shape(&shape, &proto.int32_data.iter().map(|&v| v as i8).collect::<Vec<_>>()),
            DatumType::F16 => Tensor::from_shape(&shape, &proto.int32_data.iter().map(|&v| f16::from_bits(v as u16)).collect::<Vec<_>>()),
            _ => Tensor::from_shape(&shape, &proto.int32_data.iter().map(|&v| v as u8).collect::<Vec<_>>()),
        }
    };
    built.map_err(|e| unsupported(format!("{e:#}")))
}

/// Little-endian values of `N` bytes each.
fn le<const N: usize, T>(raw: &[u8], read: fn([u8; N]) -> T) -> Import<Vec<T>> {
    if !raw.len().is_multiple_of(N) {
        return Err(Unsupported::new(format!("raw data of {} bytes for {N}-byte elements", raw.len())));
    }
    Ok(raw.chunks_exact(N).map(|c| read(c.try_into().expect("chunks_exact gives N bytes"))).collect())
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
