//! Table-wide items: `Regs<B>`, `REGISTERS`/`lookup`, and the counter `Stats`.

use super::reg::{hex, ident, masks, num};
use crate::model::{Access, Layout, Register, Table, Width};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn regs_struct(t: &Table) -> TokenStream {
    let methods = t.registers.iter().map(|r| {
        let id = ident(&r.name);
        let doc = format!(
            "`{}` at {} ({}): {}",
            r.name,
            super::docs::layout(&r.layout),
            r.mode,
            super::docs::escape(&r.description)
        );
        let shared = match &r.layout {
            Layout::Single { address } => {
                let a = hex(*address);
                quote! {
                    #[doc = #doc]
                    #[inline(always)]
                    pub fn #id(&self) -> ::regdsl_rt::Reg<'_, B, #id::Reg> {
                        ::regdsl_rt::Reg::at_offset(&self.bus, #a, ::core::option::Option::None)
                    }
                }
            }
            Layout::Array { .. } => quote! {
                #[doc = #doc]
                #[inline(always)]
                pub fn #id(&self) -> ::regdsl_rt::Array<'_, B, #id::Reg> {
                    ::regdsl_rt::Array::new(&self.bus)
                }
            },
        };
        let unique = r.mode.access.is_counter().then(|| {
            let mid = format_ident!("{}_mut", r.name);
            let mdoc = format!("`{}` with unique access: reads of a read-to-clear counter consume it.", r.name);
            match &r.layout {
                Layout::Single { address } => {
                    let a = hex(*address);
                    quote! {
                        #[doc = #mdoc]
                        #[inline(always)]
                        pub fn #mid(&mut self) -> ::regdsl_rt::RegMut<'_, B, #id::Reg> {
                            ::regdsl_rt::RegMut::at_offset(&self.bus, #a, ::core::option::Option::None)
                        }
                    }
                }
                Layout::Array { .. } => quote! {
                    #[doc = #mdoc]
                    #[inline(always)]
                    pub fn #mid(&mut self) -> ::regdsl_rt::ArrayMut<'_, B, #id::Reg> {
                        ::regdsl_rt::ArrayMut::new(&self.bus)
                    }
                },
            }
        });
        quote!(#shared #unique)
    });
    quote! {
        /// The registers of the table on bus `B`: one accessor per register, named as in the
        /// table. Holds only the bus (for [`::regdsl_rt::Mmio`], a pointer and a length).
        pub struct Regs<B: ::regdsl_rt::Bus> {
            bus: B,
        }
        #[allow(non_snake_case)]
        impl<B: ::regdsl_rt::Bus> Regs<B> {
            #[inline(always)]
            pub const fn new(bus: B) -> Self {
                Regs { bus }
            }
            #[inline(always)]
            pub fn bus(&self) -> &B {
                &self.bus
            }
            pub fn into_bus(self) -> B {
                self.bus
            }
            #(#methods)*
        }
    }
}

fn access_tokens(a: Access) -> TokenStream {
    let id = ident(match a {
        Access::RSV => "RO",
        other => other.as_str(),
    });
    quote!(::regdsl_rt::Access::#id)
}

fn alias_segments(r: &Register) -> Vec<TokenStream> {
    r.aliases
        .iter()
        .flat_map(|a| match &a.layout {
            Layout::Single { address } => {
                let b = hex(*address);
                vec![quote!(::regdsl_rt::Seg { base: #b, step: 0, min: 0, max: 0 })]
            }
            Layout::Array { segments } => segments
                .iter()
                .map(|s| {
                    let (b, st, mn, mx) = (hex(s.base), hex(s.step), num(s.min), num(s.max));
                    quote!(::regdsl_rt::Seg { base: #b, step: #st, min: #mn, max: #mx })
                })
                .collect(),
        })
        .collect()
}

pub(crate) fn info(t: &Table) -> TokenStream {
    let entries = t.registers.iter().map(|r| {
        let id = ident(&r.name);
        let name = &r.name;
        let m = masks(r);
        let access = access_tokens(r.mode.access);
        let wide = r.width() == Width::W64;
        let (segments, offset) = match &r.layout {
            Layout::Single { address } => (quote!(&[]), hex(*address)),
            Layout::Array { segments } => (
                quote!(<#id::Reg as ::regdsl_rt::ArraySpec>::SEGMENTS),
                hex(segments.first().map_or(0, |s| s.base)),
            ),
        };
        let aliases = alias_segments(r);
        let over = &r.over;
        let reset = match m.reset {
            Some(v) => {
                let v = hex(v);
                quote!(::core::option::Option::Some(#v))
            }
            None => quote!(::core::option::Option::None),
        };
        let (wr, w1c, rm, rv) = (
            hex(m.writable),
            hex(m.w1c),
            hex(m.rsv_mask),
            hex(m.rsv_value),
        );
        let desc = &r.description;
        quote! {
            ::regdsl_rt::RegInfo {
                name: #name, access: #access, wide: #wide, segments: #segments, offset: #offset,
                aliases: &[#(#aliases),*], over: &[#(#over),*], reset: #reset,
                writable: #wr, w1c: #w1c, rsv_mask: #rm, rsv_value: #rv, description: #desc,
            }
        }
    });
    quote! {
        /// Every register of the table as data (for tracers and software devices).
        pub static REGISTERS: &[::regdsl_rt::RegInfo] = &[#(#entries),*];
        /// The table's canonical name and index at byte `offset` (aliases resolve to their
        /// register; `over=` views come after the registers they overlay).
        pub fn lookup(offset: usize) -> ::core::option::Option<::regdsl_rt::Site> {
            ::regdsl_rt::lookup(REGISTERS, offset)
        }
    }
}

/// Counters accumulated by `Stats`: RC/RCR registers not overlaid by a 64-bit view (the view
/// is read instead, so no count is read twice).
pub(crate) fn counters(t: &Table) -> Vec<&Register> {
    let overlaid: Vec<&str> = t
        .registers
        .iter()
        .flat_map(|r| r.over.iter().map(String::as_str))
        .collect();
    t.registers
        .iter()
        .filter(|r| r.mode.access.is_counter() && !overlaid.contains(&r.name.as_str()))
        .collect()
}

pub(crate) fn stats(t: &Table) -> TokenStream {
    let cs = counters(t);
    let fields = cs.iter().map(|r| {
        let id = ident(&r.name);
        let doc = format!(
            "Total of `{}`: {}",
            r.name,
            super::docs::escape(&r.description)
        );
        if r.is_array() {
            let n = proc_macro2::Literal::usize_unsuffixed(r.layout.len() as usize);
            quote!(#[doc = #doc] pub #id: [::regdsl_rt::Counter; #n],)
        } else {
            quote!(#[doc = #doc] pub #id: ::regdsl_rt::Counter,)
        }
    });
    let inits = cs.iter().map(|r| {
        let id = ident(&r.name);
        if r.is_array() {
            let n = proc_macro2::Literal::usize_unsuffixed(r.layout.len() as usize);
            quote!(#id: [::regdsl_rt::Counter::new(); #n],)
        } else {
            quote!(#id: ::regdsl_rt::Counter::new(),)
        }
    });
    let updates = cs.iter().map(|r| {
        let id = ident(&r.name);
        let mid = format_ident!("{}_mut", r.name);
        if r.is_array() {
            quote!(::regdsl_rt::counter::update_array(&mut self.#id, regs.#mid());)
        } else {
            quote!(regs.#mid().accumulate(&mut self.#id);)
        }
    });
    let visits = cs.iter().map(|r| {
        let id = ident(&r.name);
        let name = &r.name;
        if r.is_array() {
            quote!(::regdsl_rt::counter::visit_array(&self.#id, #name, <#id::Reg as ::regdsl_rt::ArraySpec>::SEGMENTS, &mut f);)
        } else {
            quote!(f(#name, ::core::option::Option::None, self.#id.total());)
        }
    });
    quote! {
        /// 64-bit totals of every counter of the table (RC/RCR registers; 64-bit views instead
        /// of the low/high pairs they overlay). `update` reads each counter once.
        #[allow(non_snake_case)]
        #[derive(Clone, Debug)]
        pub struct Stats {
            #(#fields)*
        }
        impl ::core::default::Default for Stats {
            fn default() -> Self {
                Self::new()
            }
        }
        impl Stats {
            pub const fn new() -> Self {
                Stats { #(#inits)* }
            }
            /// Read every counter (unique access: read-to-clear counters are consumed here).
            pub fn update<B: ::regdsl_rt::Bus>(&mut self, regs: &mut Regs<B>) {
                #(#updates)*
            }
            /// Call `f(name, index, total)` for every counter.
            pub fn for_each(&self, mut f: impl FnMut(&'static str, ::core::option::Option<u32>, u64)) {
                #(#visits)*
            }
        }
    }
}
