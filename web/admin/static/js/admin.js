// placeholder: the web admin's front end replaces this module
export const placeholder = true;
