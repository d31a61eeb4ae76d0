package org.xapijava.model;

import org.xapijava.model.types.XType;

/** A message parameter; {@code defaultValue} is meaningful only when {@code hasDefault}. */
public record ParamDef(String name, XType type, Object defaultValue, boolean hasDefault) {}
