//! `pg_size_pretty(bytes)`: a byte count in the largest unit that keeps it readable, as
//! PostgreSQL writes it (`10239 bytes`, `121 kB`, `48 MB`; units of 1024, rounded half away
//! from zero). psql's `\dt+` and `\l+` call it; on media it reads sizes:
//! `SELECT pg_size_pretty(sum(size)) FROM images`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::TypeSignature;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

/// The `pg_size_pretty` function.
pub fn pg_size_pretty() -> ScalarUDF {
    ScalarUDF::new_from_impl(SizePretty {
        signature: Signature::new(
            TypeSignature::Exact(vec![DataType::Int64]),
            Volatility::Immutable,
        ),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SizePretty {
    signature: Signature,
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    super::pg_function_doc(
        "Writes a size in bytes in the largest unit that keeps it readable, as PostgreSQL does.",
        "pg_size_pretty(bytes)",
        ("bytes", "A size in bytes (bigint)."),
        "SELECT pg_size_pretty(sum(size)) FROM images; -- 330 kB",
    )
});

impl ScalarUDFImpl for SizePretty {
    fn name(&self) -> &str {
        "pg_size_pretty"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let bytes = cast(&args.args[0].to_array(rows)?, &DataType::Int64)?;
        let bytes = bytes.as_primitive::<Int64Type>();
        let mut out = StringBuilder::with_capacity(rows, rows * 8);
        for row in 0..rows {
            match bytes.is_null(row) {
                true => out.append_null(),
                false => out.append_value(size_pretty(bytes.value(row))),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// PostgreSQL's units: a name, the magnitude below which a value is written in it, whether
/// it is rounded (halves away from zero), and its power of two.
const UNITS: [(&str, i64, bool, u32); 6] = [
    ("bytes", 10 * 1024, false, 0),
    ("kB", 20 * 1024 - 1, true, 10),
    ("MB", 20 * 1024 - 1, true, 20),
    ("GB", 20 * 1024 - 1, true, 30),
    ("TB", 20 * 1024 - 1, true, 40),
    ("PB", 20 * 1024 - 1, true, 50),
];

/// `bytes` as PostgreSQL 16's `pg_size_pretty(bigint)` writes it. Each step divides by the
/// unit's power of two less one bit where the next unit rounds, which it then does by
/// halving, so both signs round alike.
fn size_pretty(bytes: i64) -> String {
    let mut size = bytes;
    for (i, &(name, limit, round, bits)) in UNITS.iter().enumerate() {
        let next = UNITS.get(i + 1);
        if next.is_none() || size.unsigned_abs() < limit.unsigned_abs() {
            if round {
                size = (size + if size < 0 { -1 } else { 1 }) / 2;
            }
            return format!("{size} {name}");
        }
        if let Some(&(_, _, next_round, next_bits)) = next {
            let shift = next_bits - bits - u32::from(next_round) + u32::from(round);
            size /= 1i64 << shift;
        }
    }
    format!("{size} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_as_postgresql_writes_them() {
        assert_eq!(size_pretty(0), "0 bytes");
        assert_eq!(size_pretty(10239), "10239 bytes");
        assert_eq!(size_pretty(10240), "10 kB");
        assert_eq!(size_pretty(123_456), "121 kB");
        assert_eq!(size_pretty(50_000_000), "48 MB");
        assert_eq!(size_pretty(-123_456), "-121 kB");
        assert_eq!(size_pretty(1 << 40), "1024 GB");
        assert_eq!(size_pretty(i64::MAX), "8192 PB");
    }
}
