//! One register's module: the `Reg` marker, its spec constants, field constants.

use super::docs;
use super::index::IndexSets;
use crate::model::{Access, Field, Layout, Register, Width};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

pub(crate) fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

/// Unsuffixed decimal literal (readable expansion).
pub(crate) fn num(v: u32) -> Literal {
    Literal::u32_unsuffixed(v)
}

/// Unsuffixed hex literal (readable expansion).
pub(crate) fn hex(v: u64) -> Literal {
    format!("{v:#x}")
        .parse()
        .expect("a hex number is a literal")
}

pub(crate) fn int_ty(w: Width) -> TokenStream {
    match w {
        Width::W8 => quote!(u8),
        Width::W16 => quote!(u16),
        Width::W32 => quote!(u32),
        Width::W64 => quote!(u64),
    }
}

pub(crate) fn mode_ty(a: Access) -> TokenStream {
    let m = ident(match a {
        // RSV is a field mode; a register never has it (treated as read-only).
        Access::RSV => "RO",
        other => other.as_str(),
    });
    quote!(::regdsl_rt::mode::#m)
}

fn ones(w: Width) -> u64 {
    match w {
        Width::W64 => u64::MAX,
        w => (1u64 << w.bits()) - 1,
    }
}

/// The bit masks a register's spec carries.
pub(crate) struct Masks {
    pub reset: Option<u64>,
    pub rsv_mask: u64,
    pub rsv_value: u64,
    pub w1c: u64,
    pub writable: u64,
}

fn field_access(r: &Register, f: &Field) -> Access {
    f.access.unwrap_or(r.mode.access)
}

pub(crate) fn masks(r: &Register) -> Masks {
    let all = ones(r.width());
    let reg_access = r.mode.access;
    // Reset: the register's, else composed from the fields' resets (other bits 0).
    let reset = r.reset.or_else(|| {
        r.fields.iter().any(|f| f.reset.is_some()).then(|| {
            r.fields
                .iter()
                .filter_map(|f| f.reset.map(|v| (v << f.lsb) & f.mask()))
                .fold(0, |a, b| a | b)
        })
    });
    let mut rsv_mask = 0;
    let mut rsv_value = 0;
    for f in r.fields.iter().filter(|f| f.access == Some(Access::RSV)) {
        rsv_mask |= f.mask();
        // The value the table requires: `write=`, else the field's reset, else the register's.
        let v = match f.write_value.or(f.reset) {
            Some(v) => v << f.lsb,
            None => reset.unwrap_or(0),
        };
        rsv_value |= v & f.mask();
    }
    let w1c = if reg_access == Access::W1C {
        let other: u64 = r
            .fields
            .iter()
            .filter(|f| field_access(r, f) != Access::W1C)
            .map(Field::mask)
            .fold(0, |a, b| a | b);
        all & !other
    } else {
        r.fields
            .iter()
            .filter(|f| f.access == Some(Access::W1C))
            .map(Field::mask)
            .fold(0, |a, b| a | b)
    };
    let writable = if !reg_access.writable() {
        0
    } else if r.fields.is_empty() {
        all
    } else {
        r.fields
            .iter()
            .filter(|f| field_access(r, f).writable())
            .map(Field::mask)
            .fold(0, |a, b| a | b)
    };
    Masks {
        reset,
        rsv_mask,
        rsv_value,
        w1c,
        writable,
    }
}

fn typed(v: u64, _w: Width) -> TokenStream {
    let h = hex(v);
    quote!(#h)
}

pub(crate) fn module(r: &Register, sets: &IndexSets) -> TokenStream {
    let name = ident(&r.name);
    let name_str = &r.name;
    let int = int_ty(r.width());
    let mode = mode_ty(r.mode.access);
    let m = masks(r);
    let w = r.width();
    let reset = m.reset.map(|v| {
        let v = typed(v, w);
        quote!(const RESET: ::core::option::Option<#int> = ::core::option::Option::Some(#v);)
    });
    let opt = |n: &str, v: u64| {
        (v != 0).then(|| {
            let id = ident(n);
            let v = typed(v, w);
            quote!(const #id: #int = #v;)
        })
    };
    let rsv_mask = opt("RSV_MASK", m.rsv_mask);
    let rsv_value = opt("RSV_VALUE", m.rsv_value);
    let w1c = opt("W1C_MASK", m.w1c);
    let writable = typed(m.writable, w);
    let place = match &r.layout {
        Layout::Single { address } => {
            let a = hex(*address);
            quote!(impl ::regdsl_rt::Single for Reg { const OFFSET: usize = #a; })
        }
        Layout::Array { segments } => {
            let set = sets.path(r);
            let segs = segments.iter().map(|s| {
                let (b, st, mn, mx) = (hex(s.base), hex(s.step), num(s.min), num(s.max));
                quote!(::regdsl_rt::Seg { base: #b, step: #st, min: #mn, max: #mx })
            });
            quote! {
                impl ::regdsl_rt::ArraySpec for Reg {
                    type Indices = #set;
                    const SEGMENTS: &'static [::regdsl_rt::Seg] = &[#(#segs),*];
                }
            }
        }
    };
    // Short private aliases for the field types: the expansion of a large table is mostly field
    // constants, and every token costs the compiler time.
    let alias_b = r.fields.iter().any(|f| f.width() == 1).then(|| {
        quote!(
            type __B = ::regdsl_rt::Bits<Reg>;
        )
    });
    let alias_f = r.fields.iter().any(|f| f.width() > 1).then(|| {
        quote!(
            type __F = ::regdsl_rt::Field<Reg>;
        )
    });
    let reset_at = reset_at(r, m.reset);
    let fields: TokenStream = r.fields.iter().map(field).collect();
    let doc = docs::register(r, &m);
    let reg_doc = format!("Marker type of `{name_str}` (implements the spec traits).");
    quote! {
        #[doc = #doc]
        #[allow(non_snake_case)]
        pub mod #name {
            #[doc = #reg_doc]
            pub struct Reg;
            impl ::regdsl_rt::Register for Reg {
                const NAME: &'static str = #name_str;
                type Mode = #mode;
                type Int = #int;
                #reset
                #rsv_mask
                #rsv_value
                #w1c
                const WRITABLE: #int = #writable;
            }
            #place
            #reset_at
            #alias_b
            #alias_f
            #fields
        }
    }
}

/// `Reg::reset_at(i)` for an array with `reset[...]=` rows: a `const fn` (a `match` on the
/// index, nothing on the access path), generated only for those few registers. Indices that
/// are not the array's give `None`; other elements the register's `RESET`.
fn reset_at(r: &Register, default: Option<u64>) -> Option<TokenStream> {
    let Layout::Array { segments } = &r.layout else {
        return None;
    };
    if r.element_resets.is_empty() {
        return None;
    }
    let int = int_ty(r.width());
    let some = |v: u64| {
        let v = hex(v);
        quote!(::core::option::Option::Some(#v))
    };
    let arms = r.element_resets.iter().map(|e| {
        let (mn, mx, v) = (num(e.min), num(e.max), some(e.value));
        if e.min == e.max {
            quote!(#mn => #v,)
        } else {
            quote!(#mn..=#mx => #v,)
        }
    });
    let default = default.map_or_else(|| quote!(::core::option::Option::None), some);
    let segs = segments.iter().map(|s| {
        let (mn, mx) = (num(s.min), num(s.max));
        quote!(#mn..=#mx => #default,)
    });
    let doc = format!(
        "Reset value of `{}[i]`: the table gives some elements their own (`reset[...]=`); `None` for an index that is not one of the array's.",
        r.name
    );
    Some(quote! {
        impl Reg {
            #[doc = #doc]
            #[allow(unreachable_patterns)] // an override may cover a whole segment
            pub const fn reset_at(i: u32) -> ::core::option::Option<#int> {
                match i {
                    #(#arms)*
                    #(#segs)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    })
}

fn field(f: &Field) -> TokenStream {
    let id = ident(&f.name);
    let fname = &f.name;
    let doc = docs::field(f);
    let konst = if f.width() == 1 {
        let m = hex(f.mask());
        quote!(pub const #id: __B = __B::__new(#m);)
    } else {
        let (lsb, width) = (num(f.lsb), num(f.width()));
        quote!(pub const #id: __F = __F::__new(#fname, #lsb, #width);)
    };
    let values = (!f.values.is_empty()).then(|| {
        let mask = hex(f.mask());
        let vals = f.values.iter().map(|v| {
            let vid = ident(&v.name);
            let val = hex((v.value << f.lsb) & f.mask());
            let vdoc = docs::value(f, v);
            quote! {
                #[doc = #vdoc]
                pub const #vid: __V = __V::__new(#mask, #val);
            }
        });
        let mdoc = format!("Named values of field `{fname}`.");
        quote! {
            #[doc = #mdoc]
            pub mod #id {
                type __V = ::regdsl_rt::FieldValue<super::Reg>;
                #(#vals)*
            }
        }
    });
    quote! {
        #[doc = #doc]
        #konst
        #values
    }
}
