//! ONNX initializers as tract tensors, for the element types dram's graphs hold (f32 weights,
//! f16 tables of the Core ML export, i64 axes and indices, i8/u8/i32 quantized weights, zero
//! points and biases), read from
//! `raw_data` (little-endian) or from the typed fields, as the ONNX spec stores them.

use tract_core::internal::*;

use crate::format::onnx::tensor_proto::{DataLocation, DataType};
use crate::format::onnx::TensorProto;
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

/// A tensor of `dt` holding `raw`, ONNX's little-endian bytes, in one copy into the tensor's
/// storage: an element-by-element decode was ~7 instructions a weight, most of the load time
/// of a file with large embedding tables. Bytes aligned for the element type (prost's
/// `raw_data` is its own allocation, so they are) are copied as typed values into storage that
/// is never cleared first; others go into a zeroed tensor, swapped in place on big-endian
/// targets.
fn from_le_bytes(dt: DatumType, shape: &[usize], raw: &[u8]) -> Import<Tensor> {
    let expected = shape.iter().try_fold(dt.size_of(), |bytes, &d| bytes.checked_mul(d));
    if expected != Some(raw.len()) {
        let expected = expected.map_or_else(|| "more than fit in memory".to_string(), |b| b.to_string());
        return Err(Unsupported::new(format!(
            "expected {expected} bytes of raw data for {dt:?} of shape {shape:?}, found {}",
            raw.len()
        )));
    }
    if cfg!(target_endian = "little") {
        if let Some(tensor) = typed_copy(dt, shape, raw) {
            return tensor.map_err(|e| Unsupported::new(format!("{e:#}")));
        }
    }
    let mut tensor = Tensor::zero_dt(dt, shape).map_err(|e| Unsupported::new(format!("{e:#}")))?;
    let bytes = tensor.as_bytes_mut();
    bytes.copy_from_slice(raw);
    if cfg!(target_endian = "big") {
        bytes.chunks_exact_mut(dt.size_of()).for_each(<[u8]>::reverse);
    }
    Ok(tensor)
}

/// `raw` read in place as `dt`'s values and copied once into a new tensor, or `None` when the
/// bytes are not aligned for `dt` (or `dt` has no plain-old-data form here).
fn typed_copy(dt: DatumType, shape: &[usize], raw: &[u8]) -> Option<TractResult<Tensor>> {
    fn cast<T: Datum + Copy + bytemuck::Pod>(shape: &[usize], raw: &[u8]) -> Option<TractResult<Tensor>> {
        bytemuck::try_cast_slice::<u8, T>(raw).ok().map(|values| Tensor::from_shape(shape, values))
    }
    match dt {
        DatumType::F32 => cast::<f32>(shape, raw),
        DatumType::I64 => cast::<i64>(shape, raw),
        DatumType::I32 => cast::<i32>(shape, raw),
        DatumType::I8 => cast::<i8>(shape, raw),
        DatumType::U8 => cast::<u8>(shape, raw),
        _ => None,
    }
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
    fn unaligned_raw_bytes_give_the_same_tensor_as_aligned_ones() {
        let values = [1.5f32, -2.0, 3.25];
        let mut buffer: Vec<u8> = vec![0];
        buffer.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        // A `Vec`'s allocation is aligned for every element type, so one byte in is not.
        let (aligned, unaligned) = (&buffer[1..].to_vec(), &buffer[1..]);
        assert!(typed_copy(DatumType::F32, &[3], unaligned).is_none());
        assert!(typed_copy(DatumType::F32, &[3], aligned).is_some());
        assert_eq!(from_le_bytes(DatumType::F32, &[3], unaligned).unwrap(), tensor1(&values));
        assert_eq!(from_le_bytes(DatumType::F32, &[3], aligned).unwrap(), tensor1(&values));
        let wide = [i64::MIN, 7];
        let raw: Vec<u8> = wide.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(from_le_bytes(DatumType::I64, &[2], &raw).unwrap(), tensor1(&wide));
    }

    #[test]
    fn what_it_cannot_read_is_unsupported_not_a_panic() {
        let short = TensorProto { raw_data: vec![0; 6], ..proto(DataType::Float, vec![2]) };
        let err = tensor(&short).unwrap_err();
        assert!(format!("{err:?}").contains("expected 8 bytes of raw data for F32 of shape [2], found 6"), "{err:?}");
        let wrong_len = TensorProto { float_data: vec![1.0], ..proto(DataType::Float, vec![2]) };
        assert!(tensor(&wrong_len).is_err());
        assert!(tensor(&proto(DataType::Double, vec![0])).is_err());
        assert!(tensor(&proto(DataType::Float, vec![-1])).is_err());
        let external = TensorProto { data_location: Some(DataLocation::External as i32), ..proto(DataType::Float, vec![0]) };
        assert!(tensor(&external).is_err());
    }
}
