// Vercel runs the files under api/ as functions: this one is hosts/vercel/function.js (see there).
export { default } from "../hosts/vercel/function.js";
