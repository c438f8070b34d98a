/* Case text as quoted strings in machine-read reports: JSON (report_json.c)
 * and the YAML diagnostics of TAP (report_tap.c). Case names, paths and
 * messages are whatever bytes a case file held, so both writers walk the
 * text as UTF-8 and never let a control character or a broken sequence
 * through raw. */
#ifndef REPORT_QUOTE_H
#define REPORT_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The character s starts with (s[0] != '\0'): its code point in *cp and
 * the bytes it spans. An ill-formed sequence (a stray continuation byte,
 * an overlong form, a surrogate, beyond U+10FFFF, or cut short) yields
 * U+FFFD with *valid false and spans its maximal ill-formed subpart
 * (Unicode 15, 3.9 "U+FFFD Substitution of Maximal Subparts"): one
 * replacement per broken piece, and never a byte of the next character. */
size_t report_utf8_next(const char *s, uint32_t *cp, bool *valid);

/* Code points a report never writes raw: C0 controls, DEL, C1 controls. */
bool report_is_control(uint32_t cp);

/* s as a JSON string, quotes included (RFC 8259 section 7): '"' and '\'
 * escaped, controls as \b \f \n \r \t or \u00XX (DEL and C1 too, so a
 * terminal showing the file is safe), U+2028 and U+2029 as \u2028 and
 * \u2029 (line ends to JavaScript), every ill-formed UTF-8 piece as
 * \ufffd; other text as UTF-8. The output is always valid UTF-8. */
void report_json_str(FILE *f, const char *s);

/* s as a YAML double-quoted scalar, in the subset both YAML 1.1/1.2 and
 * Perl's TAP::Parser::YAMLish (what `prove` reads) agree on: \" \\ \n \t
 * and \xNN for any other control (YAMLish knows no \u); an ill-formed
 * UTF-8 piece becomes U+FFFD written as UTF-8. */
void report_yaml_str(FILE *f, const char *s);

#endif
