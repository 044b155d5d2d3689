//! Exact NUMERIC parameters: a decimal keeps its scale when it is zero. `rust_decimal` sends every zero
//! as a bare `0`, so a stored `0.0000` read back as `0` on PostgreSQL only (the other stores keep `0.0000`).

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use rust_decimal::Decimal;
use std::error::Error;

/// A decimal bound as NUMERIC with its scale, zero included.
#[derive(Debug, Clone, Copy)]
pub(super) struct Numeric(pub(super) Decimal);

impl ToSql for Numeric {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if !self.0.is_zero() {
            return self.0.to_sql(ty, out);
        }
        // The binary NUMERIC of a zero: no digits, weight 0, positive sign, and the display scale.
        let scale = u16::try_from(self.0.scale()).unwrap_or(0);
        for part in [0u16, 0, 0, scale] {
            out.extend_from_slice(&part.to_be_bytes());
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        <Decimal as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

/// Optional decimals as NUMERIC parameters.
pub(super) fn numerics(v: &[Option<Decimal>]) -> Vec<Option<Numeric>> {
    v.iter().map(|d| d.map(Numeric)).collect()
}
