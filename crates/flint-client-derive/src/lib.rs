//! `#[derive(LabelSet)]` for flint-client.
//!
//! Generates `flint_client::LabelSet` for a struct with named fields whose types implement
//! `flint_client::labels::LabelValue` (`String`, `&'static str`, integers, `bool`, or your
//! own enums). Each field becomes a label named after the field, or after
//! `#[label(rename = "...")]`. The struct must also derive `Clone, PartialEq, Eq, Hash`.
#![deny(missing_docs)]

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr, parse_macro_input};

/// Derives `flint_client::LabelSet`; see the crate documentation.
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            input,
            "LabelSet can only be derived for structs",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(
            input,
            "LabelSet needs a struct with named fields",
        ));
    };
    let mut names = Vec::new();
    let mut visits = Vec::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else { continue };
        let name = label_name(field)?
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
        if !is_label_name(&name) {
            return Err(syn::Error::new_spanned(
                field,
                format!("invalid label name {name:?}"),
            ));
        }
        visits.push(quote! {
            ::flint_client::labels::LabelValue::with_str(&self.#ident, &mut |v| f(#name, v));
        });
        names.push(name);
    }
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::flint_client::LabelSet for #ident #ty_generics #where_clause {
            fn label_names() -> &'static [&'static str] {
                &[#(#names),*]
            }
            fn visit(&self, f: &mut dyn FnMut(&str, &str)) {
                #(#visits)*
            }
        }
    })
}

/// The `rename` of a `#[label(rename = "...")]` attribute, if any.
fn label_name(field: &syn::Field) -> syn::Result<Option<String>> {
    let mut renamed = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("label")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: LitStr = meta.value()?.parse()?;
                renamed = Some(lit.value());
                Ok(())
            } else {
                Err(meta.error("expected `rename = \"...\"`"))
            }
        })?;
    }
    Ok(renamed)
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') && !name.starts_with("__")
}
