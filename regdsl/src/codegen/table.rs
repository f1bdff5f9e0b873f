//! Table-wide items: `Regs<B>`, `REGISTERS`/`lookup`, and the counter `Stats`.

use super::reg::{ident, masks};
use crate::model::{Access, Layout, Register, Table};
use proc_macro2::{Literal, TokenStream};
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
            Layout::Single { .. } => quote! {
                #[doc = #doc]
                #[inline(always)]
                pub fn #id(&self) -> ::regdsl_rt::Reg<'_, __Bus, #id::Reg> {
                    self.__single()
                }
            },
            Layout::Array { .. } => quote! {
                #[doc = #doc]
                #[inline(always)]
                pub fn #id(&self) -> ::regdsl_rt::Array<'_, __Bus, #id::Reg> {
                    self.__array()
                }
            },
        };
        let unique = r.mode.access.has_unique_accessor().then(|| {
            let mid = format_ident!("{}_mut", r.name);
            let mdoc = format!(
                "`{}` with unique access: a read clears the register (a count or pending causes).",
                r.name
            );
            match &r.layout {
                Layout::Single { .. } => quote! {
                    #[doc = #mdoc]
                    #[inline(always)]
                    pub fn #mid(&mut self) -> ::regdsl_rt::RegMut<'_, __Bus, #id::Reg> {
                        self.__single_mut()
                    }
                },
                Layout::Array { .. } => quote! {
                    #[doc = #mdoc]
                    #[inline(always)]
                    pub fn #mid(&mut self) -> ::regdsl_rt::ArrayMut<'_, __Bus, #id::Reg> {
                        self.__array_mut()
                    }
                },
            }
        });
        quote!(#shared #unique)
    });
    quote! {
        /// The registers of the table on a bus: one accessor per register, named as in the
        /// table. Holds only the bus (for [`::regdsl_rt::Mmio`], a pointer and a length).
        pub struct Regs<__Bus: ::regdsl_rt::Bus> {
            bus: __Bus,
        }
        #[allow(non_snake_case)]
        impl<__Bus: ::regdsl_rt::Bus> Regs<__Bus> {
            /// The registers on `bus`.
            #[inline(always)]
            pub const fn new(bus: __Bus) -> Self {
                Regs { bus }
            }
            /// The bus the registers are reached through.
            #[inline(always)]
            pub fn bus(&self) -> &__Bus {
                &self.bus
            }
            /// The bus back.
            pub fn into_bus(self) -> __Bus {
                self.bus
            }
            // One generic body per kind of handle; each accessor below only names its
            // register (a short body type-checks faster, which matters for large tables).
            #[doc(hidden)]
            #[inline(always)]
            pub fn __single<__R: ::regdsl_rt::Single>(&self) -> ::regdsl_rt::Reg<'_, __Bus, __R> {
                ::regdsl_rt::Reg::at_offset(&self.bus, __R::OFFSET, ::core::option::Option::None)
            }
            #[doc(hidden)]
            #[inline(always)]
            pub fn __array<__R: ::regdsl_rt::ArraySpec>(&self) -> ::regdsl_rt::Array<'_, __Bus, __R> {
                ::regdsl_rt::Array::new(&self.bus)
            }
            #[doc(hidden)]
            #[inline(always)]
            pub fn __single_mut<__R: ::regdsl_rt::Single>(&mut self) -> ::regdsl_rt::RegMut<'_, __Bus, __R> {
                ::regdsl_rt::RegMut::at_offset(&self.bus, __R::OFFSET, ::core::option::Option::None)
            }
            #[doc(hidden)]
            #[inline(always)]
            pub fn __array_mut<__R: ::regdsl_rt::ArraySpec>(&mut self) -> ::regdsl_rt::ArrayMut<'_, __Bus, __R> {
                ::regdsl_rt::ArrayMut::new(&self.bus)
            }
            #(#methods)*
        }
    }
}

fn access_ident(a: Access) -> proc_macro2::Ident {
    ident(match a {
        Access::RSV => "RO",
        other => other.as_str(),
    })
}

/// Segments as `S { .. }` (`S` is `Seg` inside `REGISTERS`); suffixed literals leave the
/// compiler nothing to infer in a 2,000-entry initializer.
fn seg_tokens(base: u64, step: u64, min: u32, max: u32) -> TokenStream {
    let (b, st) = (usize_lit(base), usize_lit(step));
    let (mn, mx) = (Literal::u32_suffixed(min), Literal::u32_suffixed(max));
    quote!(S { base: #b, step: #st, min: #mn, max: #mx })
}

fn usize_lit(v: u64) -> Literal {
    format!("{v:#x}usize")
        .parse()
        .expect("a hex number is a literal")
}

fn u64_lit(v: u64) -> Literal {
    format!("{v:#x}u64")
        .parse()
        .expect("a hex number is a literal")
}

fn segments(l: &Layout) -> Vec<TokenStream> {
    match l {
        Layout::Single { address } => vec![seg_tokens(*address, 0, 0, 0)],
        Layout::Array { segments } => segments
            .iter()
            .map(|s| seg_tokens(s.base, s.step, s.min, s.max))
            .collect(),
    }
}

pub(crate) fn info(t: &Table) -> TokenStream {
    let mut empty_segs = false;
    let mut empty_over = false;
    let mut empty_resets = false;
    let entries: Vec<TokenStream> = t
        .registers
        .iter()
        .map(|r| {
            let name = &r.name;
            let m = masks(r);
            let access = access_ident(r.mode.access);
            let bits = Literal::u8_suffixed(r.width().bits() as u8);
            let (segs, offset) = match &r.layout {
                Layout::Single { address } => {
                    empty_segs = true;
                    (quote!(E), usize_lit(*address))
                }
                Layout::Array { segments: s } => {
                    let ss = segments(&r.layout);
                    (
                        quote!(&[#(#ss),*]),
                        usize_lit(s.first().map_or(0, |s| s.base)),
                    )
                }
            };
            let aliases: Vec<TokenStream> =
                r.aliases.iter().flat_map(|a| segments(&a.layout)).collect();
            let aliases = if aliases.is_empty() {
                empty_segs = true;
                quote!(E)
            } else {
                quote!(&[#(#aliases),*])
            };
            let over = &r.over;
            let over = if over.is_empty() {
                empty_over = true;
                quote!(N)
            } else {
                quote!(&[#(#over),*])
            };
            let reset = match m.reset {
                Some(v) => {
                    let v = u64_lit(v);
                    quote!(O::Some(#v))
                }
                None => quote!(O::None),
            };
            let (wr, w1c, rm, rv) = (
                u64_lit(m.writable),
                u64_lit(m.w1c),
                u64_lit(m.rsv_mask),
                u64_lit(m.rsv_value),
            );
            let resets = if r.element_resets.is_empty() {
                empty_resets = true;
                quote!(R)
            } else {
                let rs = r.element_resets.iter().map(|e| {
                    let (mn, mx) = (Literal::u32_suffixed(e.min), Literal::u32_suffixed(e.max));
                    let v = u64_lit(e.value);
                    quote!(::regdsl_rt::info::ElementReset { min: #mn, max: #mx, value: #v })
                });
                quote!(&[#(#rs),*])
            };
            let desc = &r.description;
            quote! {
                I {
                    name: #name, access: A::#access, bits: #bits, segments: #segs, offset: #offset,
                    aliases: #aliases, over: #over, reset: #reset, element_resets: #resets,
                    writable: #wr, w1c: #w1c, rsv_mask: #rm, rsv_value: #rv, description: #desc,
                }
            }
        })
        .collect();
    let e = empty_segs.then(|| {
        quote!(
            const E: &[S] = &[];
        )
    });
    let n = empty_over.then(|| {
        quote!(
            const N: &[&str] = &[];
        )
    });
    let r = empty_resets.then(|| {
        quote!(
            const R: &[::regdsl_rt::info::ElementReset] = &[];
        )
    });
    let init = if entries.is_empty() {
        quote!(&[])
    } else {
        quote!({
            use ::core::option::Option as O;
            use ::regdsl_rt::{Access as A, RegInfo as I, Seg as S};
            #e
            #n
            #r
            &[#(#entries),*]
        })
    };
    quote! {
        /// Every register of the table as data (for tracers and software devices).
        pub static REGISTERS: &[::regdsl_rt::RegInfo] = #init;
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
            /// Every total zero.
            #[must_use]
            pub const fn new() -> Self {
                Stats { #(#inits)* }
            }
            /// Read every counter (unique access: read-to-clear counters are consumed here).
            pub fn update<__Bus: ::regdsl_rt::Bus>(&mut self, regs: &mut Regs<__Bus>) {
                #(#updates)*
            }
            /// Call `f(name, index, total)` for every counter.
            pub fn for_each(&self, mut f: impl FnMut(&'static str, ::core::option::Option<u32>, u64)) {
                #(#visits)*
            }
        }
    }
}
