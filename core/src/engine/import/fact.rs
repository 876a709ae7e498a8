//! Graph inputs' declared types as tract facts: element type, and a shape whose symbolic
//! dimensions (`N`, the candidate count) become symbols of the model, as tract-onnx makes them.

use tract_core::internal::*;

use crate::format::onnx::tensor_shape_proto::dimension::Value;
use crate::format::onnx::type_proto;
use crate::format::onnx::ValueInfoProto;
use super::{constant, Import, Unsupported};

/// The fact of graph input `input`; symbolic dimensions are interned in `symbols`.
pub(crate) fn input_fact(symbols: &SymbolScope, input: &ValueInfoProto) -> Import<TypedFact> {
    let unsupported = |what: &str| Unsupported::new(format!("graph input `{}`: {what}", input.name));
    let Some(type_proto::Value::TensorType(tensor)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(unsupported("no tensor type"));
    };
    let dt = constant::datum_type(tensor.elem_type).ok_or_else(|| unsupported(&format!("element type {}", tensor.elem_type)))?;
    let shape = tensor.shape.as_ref().ok_or_else(|| unsupported("no shape"))?;
    let dims = shape
        .dim
        .iter()
        .map(|d| match &d.value {
            Some(Value::DimValue(v)) if *v >= 0 => Ok(TDim::Val(*v)),
            Some(Value::DimParam(p)) if is_plain_name(p) => Ok(TDim::Sym(symbols.sym(p))),
            other => Err(unsupported(&format!("dimension {other:?}"))),
        })
        .collect::<Import<TVec<TDim>>>()?;
    Ok(dt.fact(ShapeFact::from_dims(dims)))
}

/// A dimension name tract-onnx reads as one symbol (not an expression, not an unknown `?`
/// or an exporter's `unk__` placeholder, which it leaves unknown).
fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("unk__")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::onnx::tensor_shape_proto::Dimension;
    use crate::format::onnx::{TensorShapeProto, TypeProto};

    fn input(elem_type: i32, dims: Vec<Value>) -> ValueInfoProto {
        let shape = TensorShapeProto { dim: dims.into_iter().map(|v| Dimension { value: Some(v), ..Default::default() }).collect() };
        let tensor = type_proto::Tensor { elem_type, shape: Some(shape) };
        ValueInfoProto { name: "x".into(), r#type: Some(TypeProto { value: Some(type_proto::Value::TensorType(tensor)), ..Default::default() }), ..Default::default() }
    }

    #[test]
    fn a_named_dimension_is_the_models_symbol() {
        let symbols = SymbolScope::default();
        let fact = input_fact(&symbols, &input(7, vec![Value::DimParam("N".into()), Value::DimValue(20)])).unwrap();
        assert_eq!(fact.datum_type, DatumType::I64);
        assert_eq!(fact.shape.dims().to_vec(), vec![TDim::Sym(symbols.sym("N")), TDim::Val(20)]);
    }

    #[test]
    fn unknown_dimensions_and_types_are_left_to_tract_onnx() {
        let symbols = SymbolScope::default();
        assert!(input_fact(&symbols, &input(1, vec![Value::DimParam("?".into())])).is_err());
        assert!(input_fact(&symbols, &input(1, vec![Value::DimParam("N*2".into())])).is_err());
        assert!(input_fact(&symbols, &input(1, vec![Value::DimParam("unk__3".into())])).is_err());
        assert!(input_fact(&symbols, &input(11, vec![Value::DimValue(1)])).is_err());
        assert!(input_fact(&symbols, &ValueInfoProto { name: "x".into(), ..Default::default() }).is_err());
    }
}
